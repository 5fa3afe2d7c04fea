"""Feature events and the window rule re-computed in plain Python, for the features tests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from tributary.features.windows import METRICS, WINDOWS

TYPES = list(METRICS)
MINUTE = 60_000


def feature_line(type_: str, product: str, at: int, id_: str | None = None, **extra) -> bytes:
    attributes = {"user_id": "u1", "product_id": product, **extra}
    doc = {
        "data": {"id": id_ or str(uuid.uuid4()), "type": type_, "attributes": attributes},
        "meta": {"created_at": at, "service": "app"},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def expected(events: Iterable[tuple[str, int, int]], product: str, as_of: int) -> dict:
    """``events``: unique (product, metric index, created_at). The rule written out again:
    minute in (M - W, M] and created_at < as_of."""
    out = {name: dict.fromkeys(WINDOWS, 0) for name in METRICS.values()}
    names = list(METRICS.values())
    m_now = as_of // MINUTE
    for p, metric, at in events:
        if p != product or at >= as_of:
            continue
        for label, length in WINDOWS.items():
            if m_now - length < at // MINUTE <= m_now:
                out[names[metric]][label] += 1
    return out
