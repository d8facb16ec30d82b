"""Domain: events, aggregates and the incident lifecycle; no I/O."""
