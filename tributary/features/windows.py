"""The feature definitions and the window rule, shared by both stores, the consumer and the API.

**Counted events**: `product_impression` → `impressions`, `product_liked` → `likes`,
`conversation_started` → `conversations`, keyed by `attributes.product_id` (a non-empty JSON
string), timed by `meta.created_at` (epoch ms), once per `data.id` (case-insensitive, the
first delivery wins, like the lake). Lines the lake would quarantine (not JSON, no UUID id, no
integer `created_at` in 2000..2100, …) and other types are ignored here.

**Window rule** (``as_of`` = the serving clock in epoch ms, ``M = as_of // 60000`` its minute,
``W`` = 60, 1,440 or 10,080 minutes): an event at ``t`` with minute ``m = t // 60000`` is counted
when ``M - W < m <= M`` and ``t < as_of``. So the window is right-open at ``as_of`` exactly, and
at the old edge it starts at the minute boundary ``(M - W + 1) * 60000``, which is at most one
minute later than ``as_of - W``: an event ``W - 60 s`` old or younger is always counted, one
``W`` old or older never (an event exactly one hour old is out of the hour window), and one in
between is counted when it lies in the same UTC minute as ``as_of - W + 60 s`` or later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

WINDOWS: dict[str, int] = {"1h": 60, "1d": 1440, "7d": 10080}  # minutes
METRICS: dict[str, str] = {
    "product_impression": "impressions",
    "product_liked": "likes",
    "conversation_started": "conversations",
}
METRIC_INDEX = {t: i for i, t in enumerate(METRICS)}
NAMES = list(METRICS.values())
# Minute buckets are kept while they may still be summed: 7 days + 1 minute (a reader whose
# clock is a minute behind the store's sweep still finds the bucket leaving its week).
RETENTION = WINDOWS["7d"] + 1
MINUTE = 60_000
MAX_PRODUCT_ID = 128
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CREATED_MIN, _CREATED_MAX = 946_684_800_000, 4_102_444_800_000  # the lake's rule

Counts = list[list[int]]  # [metric][window]: 3 x 3, metrics in METRICS order, windows in WINDOWS


@dataclass(frozen=True, slots=True)
class FeatureEvent:
    id: str
    product_id: str
    metric: int  # index into METRICS
    created_at: int  # epoch ms

    @property
    def minute(self) -> int:
        return self.created_at // MINUTE


def parse_event(raw: bytes) -> FeatureEvent | None:
    """The counted part of one stream message, or None when it counts for no feature."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    data, meta = doc.get("data"), doc.get("meta")
    if not isinstance(data, dict) or not isinstance(meta, dict):
        return None
    metric = METRIC_INDEX.get(data.get("type"))  # type: ignore[arg-type]
    attributes, id_, created = data.get("attributes"), data.get("id"), meta.get("created_at")
    if metric is None or not isinstance(attributes, dict):
        return None
    if not isinstance(id_, str) or not _UUID.fullmatch(id_):
        return None
    if isinstance(created, bool) or not isinstance(created, int):
        return None
    if not _CREATED_MIN <= created < _CREATED_MAX:
        return None
    product = attributes.get("product_id")
    if not isinstance(product, str) or not product:
        return None
    return FeatureEvent(id_.lower(), product, metric, created)


def zeros() -> Counts:
    return [[0, 0, 0] for _ in METRICS]


def counted(minute: int, created_at: int, as_of: int, window: int) -> bool:
    """The window rule for one event (the reference the stores are tested against)."""
    m_now = as_of // MINUTE
    return m_now - window < minute <= m_now and created_at < as_of


def as_dict(counts: Counts) -> dict[str, dict[str, int]]:
    """``{"impressions": {"1h": …, "1d": …, "7d": …}, "likes": …, "conversations": …}``"""
    return {name: dict(zip(WINDOWS, counts[i], strict=True)) for i, name in enumerate(NAMES)}
