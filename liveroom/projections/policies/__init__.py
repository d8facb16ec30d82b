"""Policies: readers of the streams that act (append events) rather than keep a view."""
