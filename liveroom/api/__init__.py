"""HTTP routers mounted on the app's FastAPI server, one per protocol."""
