"""The location API's ASGI entry point (``api.location.asgi``); the write path's storage lives
in ``tributary.location``."""
