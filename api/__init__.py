"""The HTTP API: thin FastAPI routers over the serving snapshots, one router per domain."""
