"""LIVE Room: the real-time operations centre of a city government."""
