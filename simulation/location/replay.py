"""Replay client: sends ``PUT /location`` bodies over keep-alive HTTP/1.1 connections.

Cheap on CPU on purpose (the API runs on the same 2 cores): raw asyncio streams on uvloop,
requests built from bytes, responses parsed just enough (status line, Content-Length).
``rate`` paces the sends on a fixed schedule shared by all connections (request ``i`` is sent
at ``t0 + i / rate`` or as soon as a connection is free after that); without a rate every
connection sends back-to-back (closed loop). Latency is send → full response.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ReplayResult:
    """Per request: HTTP status (0 = not answered: connection lost or never sent) and
    latency in seconds; plus the wall time of the run."""

    statuses: list[int]
    latencies: list[float]
    seconds: float
    bodies: list[bytes] = field(default_factory=list)

    def summary(self) -> dict:
        answered = sorted(lat for s, lat in zip(self.statuses, self.latencies, strict=True) if s)
        ok = sum(1 for s in self.statuses if s == 200)
        return {
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


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def replay_async(
    url: str,
    bodies: Sequence[bytes],
    rate: float | None = None,
    connections: int = 32,
    api_key: str | None = None,
    keep_bodies: bool = False,
    duration: float | None = None,
) -> ReplayResult:
    """Send every body once (or loop over them for ``duration`` seconds)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path.rstrip("/") or "") + "/location"
    requests = [_request(f"{host}:{port}", path, b, api_key) for b in bodies]
    total = len(requests)
    statuses: list[int] = []
    latencies: list[float] = []
    answers: list[bytes] = []
    next_index = 0
    start = time.perf_counter()
    stop_at = start + duration if duration else None

    def take() -> int | None:
        nonlocal next_index
        if stop_at is None and next_index >= total:
            return None
        if stop_at is not None and time.perf_counter() >= stop_at:
            return None
        i = next_index
        next_index += 1
        statuses.append(0)
        latencies.append(0.0)
        if keep_bodies:
            answers.append(b"")
        return i

    async def worker() -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            return
        try:
            while (i := take()) is not None:
                if rate:
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                sent = time.perf_counter()
                try:
                    writer.write(requests[i % total])
                    status, body = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    return  # connection lost: this and later requests stay unanswered (0)
                latencies[i] = time.perf_counter() - sent
                statuses[i] = status
                if keep_bodies:
                    answers[i] = body
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    seconds = time.perf_counter() - start
    if stop_at is None and len(statuses) < total:
        statuses.extend([0] * (total - len(statuses)))
        latencies.extend([0.0] * (total - len(latencies)))
        answers.extend([b""] * (total - len(answers)) if keep_bodies else [])
    return ReplayResult(statuses, latencies, seconds, answers)


def replay(url: str, bodies: Sequence[bytes], **kwargs) -> ReplayResult:
    """``replay_async`` on a fresh event loop (uvloop when installed)."""
    try:
        import uvloop

        return uvloop.run(replay_async(url, bodies, **kwargs))
    except ImportError:
        return asyncio.run(replay_async(url, bodies, **kwargs))
