"""Dash layouts: pure functions from data to components (no queries, no callbacks)."""
