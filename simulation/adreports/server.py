"""The simulated provider's HTTP server (stdlib, threaded), in process or as a service.

API (what the loader uses):
- ``POST /v1/oauth/token`` form ``grant_type=refresh_token&refresh_token=…`` → a short-lived
  bearer access token (401 ``invalid_grant`` for a wrong or revoked refresh token);
- ``GET /v1/reports/mediation?start_date=&end_date=&page_size=&page_token=`` with
  ``Authorization: Bearer …`` → ``{"rows": [...], "page": {"number", "total_pages"},
  "next_page_token", "report_total": {"row_count", <metric sums>}}``; 401 on an unknown or
  expired token, 429 with ``Retry-After`` over the rate limit.

Control (tests and demos): ``POST /_control/faults`` ``{"faults": [{"kind": …}, …]}``,
``POST /_control/today`` ``{"date": "YYYY-MM-DD"}``, ``POST /_control/profile``
``{"profile": "mild"}``, ``GET /_control/requests`` (what was asked and answered).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from simulation.adreports.faults import PROFILES, ProviderState
from simulation.adreports.report import totals

REPORT_PATH = "/v1/reports/mediation"
TOKEN_PATH = "/v1/oauth/token"
MAX_RANGE_DAYS = 31
MAX_PAGE_SIZE = 1000
DEFAULT_REFRESH_TOKEN = "sim-refresh-token"


class BadRequest(ValueError):
    pass


def _encode_token(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _decode_token(token: str) -> dict:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError as exc:
        raise BadRequest("page_token is not a token this API issued") from exc


def _date(params: dict, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(params[name][0])
    except (KeyError, ValueError) as exc:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD") from exc


def report_days(params: dict) -> list[dt.date]:
    """The days of the query in ``params``."""
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if end < start or (end - start).days >= MAX_RANGE_DAYS:
        raise BadRequest(f"end_date must be within {MAX_RANGE_DAYS} days on or after start_date")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def report_page(state: ProviderState, params: dict) -> dict:
    """One page of the report for the query in ``params``."""
    days = report_days(params)
    start, end = days[0], days[-1]
    try:
        page_size = min(int(params.get("page_size", ["100"])[0]), MAX_PAGE_SIZE)
    except ValueError as exc:
        raise BadRequest("page_size must be an integer") from exc
    if page_size < 1:
        raise BadRequest("page_size must be positive")
    rows = [row for day in days for row in state.rows_for(day)]
    offset = 0
    if "page_token" in params:
        token = _decode_token(params["page_token"][0])
        if token.get("q") != [start.isoformat(), end.isoformat(), page_size]:
            raise BadRequest("page_token belongs to another query")
        offset = int(token["o"])
    total_pages = max(1, math.ceil(len(rows) / page_size))
    number = offset // page_size + 1
    page_rows = rows[offset : offset + page_size]
    next_offset = offset + page_size
    drop = state.day_fault("drop_page", *days)
    if drop and number + 1 == int(drop.get("page", 2)):
        next_offset += page_size  # the token skips a page: it is never served
    last = next_offset >= len(rows)
    if last and number == total_pages and state.day_fault("truncate_last_page", *days):
        page_rows = page_rows[: len(page_rows) // 2]
    bad = state.day_fault("bad_metric", *days)
    if bad and number == 1 and page_rows:  # one row says e.g. "impressions": "n/a"
        page_rows[0] = {**page_rows[0], bad.get("field", "impressions"): bad.get("value", "n/a")}
    query = [start.isoformat(), end.isoformat(), page_size]
    return {
        "rows": page_rows,
        "page": {"number": number, "total_pages": total_pages},
        "next_page_token": None if last else _encode_token({"q": query, "o": next_offset}),
        "report_total": None if state.day_fault("null_total", *days) else totals(rows),
    }


class Handler(BaseHTTPRequestHandler):
    server: ProviderServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the request log is in /_control/requests

    # -- plumbing -------------------------------------------------------------------------
    def _send(
        self, status: int, body: dict | bytes, headers: dict[str, str] | None = None, cut=False
    ) -> None:
        """Answer ``body`` (JSON unless bytes); ``cut``: only half of it, then hang up."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header(
                "Content-Type", "text/html" if data[:1] == b"<" else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if cut else data)
            self.close_connection |= cut
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _error(self, status: int, code: str, message: str, headers=None) -> None:
        self._send(status, {"error": {"code": status, "status": code, "message": message}}, headers)

    # -- routes -----------------------------------------------------------------------------
    def do_POST(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        body = self._body()
        if path == TOKEN_PATH:
            form = parse_qs(body.decode())
            if form.get("grant_type", [""])[0] != "refresh_token":
                return self._error(400, "INVALID_ARGUMENT", "grant_type must be refresh_token")
            token = state.issue_token(form.get("refresh_token", [""])[0])
            state.log({"path": path, "status": 200 if token else 401, "at": time.time()})
            if token is None:
                return self._send(401, {"error": "invalid_grant"})
            return self._send(
                200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            )
        try:
            payload = json.loads(body or b"{}")
            if path == "/_control/faults":
                for fault in payload.get("faults", []):
                    state.apply(fault)
            elif path == "/_control/today":
                state.today = (
                    dt.date.fromisoformat(payload["date"]) if payload.get("date") else None
                )
            elif path == "/_control/profile":
                if payload["profile"] not in PROFILES:
                    raise ValueError(f"unknown profile {payload['profile']!r}")
                state.profile = payload["profile"]
            else:
                return self._error(404, "NOT_FOUND", path)
        except (ValueError, KeyError) as exc:
            return self._error(400, "INVALID_ARGUMENT", str(exc))
        return self._send(200, {"ok": True})

    def do_GET(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        if parts.path == "/_control/requests":
            with state.lock:
                return self._send(200, {"requests": list(state.requests_log)})
        if parts.path != REPORT_PATH:
            return self._error(404, "NOT_FOUND", parts.path)
        params = parse_qs(parts.query)
        entry = {
            "path": parts.path,
            "params": {k: v[0] for k, v in params.items() if k != "page_token"},
            "page_token": "page_token" in params,
            "at": time.time(),
        }
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not state.token_valid(auth.removeprefix("Bearer ")):
            state.log({**entry, "status": 401})
            return self._error(
                401,
                "UNAUTHENTICATED",
                "access token missing, invalid or expired",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if time.time() < state.blocked_until:
            state.log({**entry, "status": 429, "fault": "retry_after_as_date"})
            until = formatdate(state.blocked_until, usegmt=True)
            return self._error(429, "RESOURCE_EXHAUSTED", "rate limit", {"Retry-After": until})
        if state.over_rate_limit():
            state.log({**entry, "status": 429, "fault": "rate_limit_window"})
            return self._error(429, "RESOURCE_EXHAUSTED", "rate limit", {"Retry-After": "1"})
        fault = state.next_transient()
        if fault is not None:
            state.log(
                {
                    **entry,
                    "status": fault.status
                    if fault.kind == "error"
                    else (429 if fault.kind == "rate_limit" else 0),
                    "fault": fault.kind,
                }
            )
            if fault.kind == "error":
                return self._error(fault.status, "UNAVAILABLE", "try again later")
            if fault.kind == "rate_limit":
                return self._error(
                    429, "RESOURCE_EXHAUSTED", "rate limit", {"Retry-After": str(fault.retry_after)}
                )
            time.sleep(fault.seconds)
            return self._error(504, "DEADLINE_EXCEEDED", "too slow")
        try:
            page = report_page(state, params)
        except BadRequest as exc:
            state.log({**entry, "status": 400})
            return self._error(400, "INVALID_ARGUMENT", str(exc))
        number, days = page["page"]["number"], report_days(params)
        fault = next(
            (
                k
                for k in ("html", "truncated")
                if (f := state.day_fault(k, *days)) and int(f.get("page", number)) == number
            ),
            None,
        )
        state.log(
            {**entry, "status": 200, "page": number, "rows": len(page["rows"]), "fault": fault}
        )
        if fault == "html":  # a proxy in front of the API answering its own error page with 200
            return self._send(200, b"<html><body><h1>502 Bad Gateway</h1>upstream</body></html>")
        return self._send(200, page, cut=fault == "truncated")


class ProviderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: ProviderState) -> None:
        super().__init__(address, Handler)
        self.state = state

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@contextmanager
def running_provider(
    port: int = 0,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    profile: str = "none",
    today: dt.date | None = None,
    seed: int = 7,
    rate_limit_per_second: int = 50,
) -> Iterator[ProviderServer]:
    """The provider on 127.0.0.1 in a background thread for the duration of the block."""
    state = ProviderState(
        refresh_token=refresh_token,
        seed=seed,
        profile=profile,
        today=today,
        rate_limit_per_second=rate_limit_per_second,
    )
    server = ProviderServer(("127.0.0.1", port), state)
    thread = threading.Thread(target=server.serve_forever, name="adreports-provider", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
