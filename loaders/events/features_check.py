"""Offline/online agreement of the product features: the dbt model
``events.events_product_features`` (recomputed from the lake at a cut-off) against the online
store read at the same cut-off, for a sample of products from both sides.

Meaningful when every event stamped before the cut-off has been published, landed in the lake
and applied by the features consumer (the default cut-off, two minutes back, leaves the stream
consumers that margin), and when nothing stamped after the cut-off shares its minute in the
online store (the default cut-off is a minute's last millisecond). Any difference fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from tributary.features.store import FeatureStore
from tributary.features.windows import NAMES, WINDOWS

MODEL = "events.events_product_features"
COLUMNS = [f"{name}_{w}" for name in NAMES for w in WINDOWS]


@dataclass
class Agreement:
    as_of_ms: int | None
    compared: int = 0
    differing: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differing

    def metadata(self) -> dict:
        return {
            "as_of_ms": self.as_of_ms if self.as_of_ms is not None else -1,
            "products_compared": self.compared,
            "differing": len(self.differing),
            "first_differences": str(self.differing[:5]),
        }


def compare(con: duckdb.DuckDBPyConnection, store: FeatureStore, sample: int = 500) -> Agreement:
    """Compare ``sample`` products of the model and up to ``sample`` of the online store."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'events' AND table_name = 'events_product_features'"
    ).fetchone()[0]
    if not exists:
        return Agreement(None)
    sampled = [
        r[0]
        for r in con.execute(
            f"SELECT product_id FROM {MODEL} ORDER BY hash(product_id) LIMIT ?", [sample]
        ).fetchall()
    ]
    cut = con.execute(f"SELECT max(as_of_ms) FROM {MODEL}").fetchone()[0]
    if cut is None:  # nothing in the lake's week: the online side must be all zeros too
        cut = con.execute(
            "SELECT (epoch_ms(now()::timestamp) // 60000 - 2) * 60000 - 1"
        ).fetchone()[0]
    products = list(dict.fromkeys([*sampled, *store.sample_products(sample)]))
    result = Agreement(cut, compared=len(products))
    if not products:
        return result
    offline = {
        row[0]: [list(row[1:4]), list(row[4:7]), list(row[7:10])]
        for row in con.execute(
            f"SELECT product_id, {', '.join(COLUMNS)} FROM {MODEL} "
            "WHERE product_id IN (SELECT unnest(?::VARCHAR[]))",
            [products],
        ).fetchall()
    }
    _, online = store.read(products, as_of=cut)
    zero = [[0, 0, 0] for _ in NAMES]
    for p, got in zip(products, online, strict=True):
        want = offline.get(p, zero)  # not in the model: no event in the week before the cut-off
        if got != want:
            result.differing.append({"product_id": p, "online": got, "offline": want})
    return result
