"""Replay client: sends ``PUT /location`` bodies over keep-alive HTTP/1.1 connections.

Cheap on CPU on purpose (the API runs on the same 2 cores): one ``asyncio.Protocol`` per
connection on uvloop, every request encoded once up front, responses parsed just enough
(status line, Content-Length), no stream reader or future per request. All connections are
open before the clock starts. ``rate`` makes it an open-loop client: request ``i`` is due at
``t0 + i / rate`` and goes out on the first free connection at or after that moment (a
dispatcher wakes about every millisecond; a connection that answers sends the next due
request at once), so the rate is fixed and connections only carry it; how late requests left
against their schedule is reported (``schedule_lag_ms``: near zero means the connections were
enough and no wait is hidden from the latencies). Without a rate every connection sends
back-to-back (closed loop). Latency is send → full response.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ReplayResult:
    """Per request: HTTP status (0 = not answered: connection lost or never sent) and
    latency in seconds; plus the wall time of the run and, when paced, how late each request
    was sent against its schedule."""

    statuses: list[int]
    latencies: list[float]
    seconds: float
    bodies: list[bytes] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # this process's CPU from the first send to the last answer

    def summary(self) -> dict:
        answered = sorted(lat for s, lat in zip(self.statuses, self.latencies, strict=True) if s)
        ok = sum(1 for s in self.statuses if s == 200)
        out = {
            "requests": len(self.statuses),
            "status_counts": {str(k): v for k, v in sorted(Counter(self.statuses).items())},
            "seconds": round(self.seconds, 3),
            "answered_per_second": round(len(answered) / self.seconds, 1) if self.seconds else 0,
            "ok_per_second": round(ok / self.seconds, 1) if self.seconds else 0,
            "latency_ms": {
                name: round(percentile(answered, q) * 1000, 2)
                for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
            },
        }
        if self.lags:
            # Open loop: how late requests left, and latency counted from the schedule
            # (lag + latency), which hides no wait for a free connection.
            for name, values in (
                ("schedule_lag_ms", self.lags),
                (
                    "latency_from_schedule_ms",
                    [
                        lag + lat
                        for lag, lat, s in zip(
                            self.lags, self.latencies, self.statuses, strict=False
                        )
                        if s
                    ],
                ),
            ):
                ordered = sorted(values)
                out[name] = {
                    q_name: round(percentile(ordered, q) * 1000, 2)
                    for q_name, q in (("p50", 50), ("p99", 99), ("max", 100))
                }
        return out


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * q // 100)))
    return sorted_values[int(rank) - 1]


def _request(host: str, path: str, body: bytes, api_key: str | None) -> bytes:
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
    )
    if api_key:
        head += f"X-API-Key: {api_key}\r\n"
    return head.encode() + b"\r\n" + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.index = -1
        self.sent = 0.0

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self, index: int, request: bytes) -> None:
        self.index = index
        self.sent = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            self.buffer = buffer
            return
        length = 0
        for line in buffer[:end].split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if len(buffer) < end + 4 + length:
            self.buffer = buffer
            return
        self.buffer = buffer[end + 4 + length :]
        index, self.index = self.index, -1
        if index >= 0:
            self.run.answered(
                self, index, int(buffer[9:12]), buffer[end + 4 : end + 4 + length], self.sent
            )

    def connection_lost(self, exc) -> None:
        self.index = -1
        self.run.lost(self)


class _Run:
    """The schedule and the results of one replay."""

    def __init__(
        self,
        requests: list[bytes],
        rate: float | None,
        duration: float | None,
        keep_bodies: bool,
    ) -> None:
        self.requests, self.total = requests, len(requests)
        self.rate, self.duration, self.keep_bodies = rate, duration, keep_bodies
        self.statuses: list[int] = []
        self.latencies: list[float] = []
        self.bodies: list[bytes] = []
        self.lags: list[float] = []
        self.next_index = 0
        self.in_flight = 0
        self.live: set[_Connection] = set()
        self.idle: list[_Connection] = []
        self.start = self.stop_at = 0.0
        self.stopped = False
        self.finished: asyncio.Future | None = None

    def begin(self) -> None:
        self.start = time.perf_counter()
        self.stop_at = self.start + self.duration if self.duration else float("inf")

    def _take(self, now: float) -> int | None:
        """The next request to send now, or None (schedule not due yet, or the end)."""
        i = self.next_index
        if self.stopped or (self.duration is None and i >= self.total) or now >= self.stop_at:
            self.stopped = True
            return None
        if self.rate:
            due = self.start + i / self.rate
            if due > now:
                return None
            self.lags.append(now - due)
        self.next_index = i + 1
        self.statuses.append(0)
        self.latencies.append(0.0)
        if self.keep_bodies:
            self.bodies.append(b"")
        return i

    def feed(self, conn: _Connection, now: float) -> bool:
        """Send the next due request on ``conn``; False if nothing is due."""
        i = self._take(now)
        if i is None:
            return False
        self.in_flight += 1
        conn.send(i, self.requests[i % self.total])
        return True

    def answered(self, conn: _Connection, index: int, status: int, body: bytes, sent: float):
        now = time.perf_counter()
        self.in_flight -= 1
        self.statuses[index] = status
        self.latencies[index] = now - sent
        if self.keep_bodies:
            self.bodies[index] = body
        if not self.feed(conn, now):
            self.idle.append(conn)
        self._check_done()

    def lost(self, conn: _Connection) -> None:
        if conn in self.live:
            self.live.discard(conn)
            if conn in self.idle:
                self.idle.remove(conn)
            else:
                self.in_flight -= 1  # its request stays unanswered (status 0)
        self._check_done()

    def _check_done(self) -> None:
        done = self.in_flight == 0 and (self.stopped or not self.live)
        if done and self.finished is not None and not self.finished.done():
            self.finished.set_result(None)

    async def dispatch(self) -> None:
        """Feed idle connections whatever is due, about every millisecond."""
        while not self.stopped and self.live:
            now = time.perf_counter()
            while self.idle and self.feed(self.idle[-1], now):
                self.idle.pop()
            if self.stopped:
                break
            if self.rate:
                wait = self.start + self.next_index / self.rate - time.perf_counter()
                await asyncio.sleep(max(wait, 0.001))  # uvloop timers: 1 ms resolution
            else:
                await asyncio.sleep(0.001)
        self._check_done()


async def replay_async(
    url: str,
    bodies: Sequence[bytes],
    rate: float | None = None,
    connections: int = 32,
    api_key: str | None = None,
    keep_bodies: bool = False,
    duration: float | None = None,
    raw_requests: Sequence[bytes] | None = None,
) -> ReplayResult:
    """Send every body once (or loop over them for ``duration`` seconds). ``raw_requests``
    (whole HTTP/1.1 requests, any method and path) replaces the ``PUT /location`` bodies."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path.rstrip("/") or "") + "/location"
    requests = (
        list(raw_requests)
        if raw_requests is not None
        else [_request(f"{host}:{port}", path, b, api_key) for b in bodies]
    )
    loop = asyncio.get_running_loop()
    run = _Run(requests, rate, duration, keep_bodies)
    run.finished = loop.create_future()
    opened = await asyncio.gather(
        *(loop.create_connection(lambda: _Connection(run), host, port) for _ in range(connections)),
        return_exceptions=True,
    )
    conns = [r[1] for r in opened if not isinstance(r, BaseException)]
    run.live.update(conns)
    run.idle.extend(conns)
    # A full collection over the caller's objects (the encoded requests, imported modules)
    # took ~25 ms: a pause of every request in flight, charged to the server. Freeze them.
    gc.freeze()
    cpu0 = time.process_time()
    run.begin()
    dispatcher = loop.create_task(run.dispatch())
    try:
        if conns:
            await run.finished
    finally:
        run.stopped = True
        dispatcher.cancel()
        for conn in conns:
            if conn.transport is not None:
                conn.transport.close()
        gc.unfreeze()
    seconds = time.perf_counter() - run.start
    cpu = time.process_time() - cpu0
    statuses, latencies, answers = run.statuses, run.latencies, run.bodies
    if duration is None and len(statuses) < len(requests):
        missing = len(requests) - len(statuses)
        statuses.extend([0] * missing)
        latencies.extend([0.0] * missing)
        if keep_bodies:
            answers.extend([b""] * missing)
    return ReplayResult(statuses, latencies, seconds, answers, run.lags, cpu)


def replay(url: str, bodies: Sequence[bytes], **kwargs) -> ReplayResult:
    """``replay_async`` on a fresh event loop (uvloop when installed)."""
    try:
        import uvloop

        return uvloop.run(replay_async(url, bodies, **kwargs))
    except ImportError:
        return asyncio.run(replay_async(url, bodies, **kwargs))
