"""Dash callbacks: thin translations between UI events and `liveroom` services."""
