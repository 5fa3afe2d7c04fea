"""Settings of the API process (the serving and write endpoints have their domain's own)."""

from __future__ import annotations

from tributary import settings


class ApiSettings(settings.Settings, env_prefix="API_"):
    body_timeout_seconds: float = 10.0
    """a request body not received in full within this many seconds (between its chunks) gets 408 and the connection is closed"""
    access_log: bool = True
    """one JSON line per request on stderr (logger `tributary.access`: request id, method, route, status, seconds)"""
