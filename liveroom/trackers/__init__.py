"""Trackers' protocols: pure decoders, tested with literal captured payloads."""
