"""Services: the commands and queries the web app, CLI and simulator call."""
