"""Demo data and the simulator: never on a production request's path."""
