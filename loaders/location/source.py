"""The dlt source of the location minutes.

One resource, ``minutes``: every minute changed since the last load, read from the
operational store (PostgreSQL or the embedded SQLite) page by page as Arrow tables, merged on
(user_id, minute_utc) so a minute that got more points replaces its earlier version. The
incremental cursor is ``seq``, the store's commit sequence: writers serialise on it, so every
commit up to the highest loaded ``seq`` has been seen and nothing is skipped (store.py).
Sums travel as exact decimal text; dbt derives the averages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import dlt
import pyarrow as pa

from tributary.location.store import MinuteRow, open_store

PAGE_ROWS = 50_000

MINUTES_SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("minute_utc", pa.timestamp("us")),
        ("minute_local", pa.timestamp("us")),
        ("time_zone", pa.string()),
        ("sum_lat", pa.string()),
        ("sum_long", pa.string()),
        ("sum_accuracy", pa.string()),
        ("sum_speed", pa.string()),
        ("points", pa.int64()),
        ("seq", pa.int64()),
    ]
)


def minutes_table(rows: list[MinuteRow]) -> pa.Table:
    """Store rows → an Arrow table of MINUTES_SCHEMA (one pass per column)."""
    columns = [
        [r.user_id for r in rows],
        [r.minute_utc for r in rows],
        [r.minute_local for r in rows],
        [r.time_zone for r in rows],
        [str(r.sum_lat) for r in rows],
        [str(r.sum_long) for r in rows],
        [str(r.sum_accuracy) for r in rows],
        [str(r.sum_speed) for r in rows],
        [r.points for r in rows],
        [r.seq for r in rows],
    ]
    return pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, MINUTES_SCHEMA, strict=True)],
        schema=MINUTES_SCHEMA,
    )


@dlt.source(name="location", max_table_nesting=0)
def location_minutes_source() -> Iterator:
    yield minutes


@dlt.resource(
    name="minutes",
    write_disposition="merge",
    primary_key=("user_id", "minute_utc"),
    # Naive timestamps: minute_utc is UTC by name, minute_local is the device's wall clock.
    columns={
        "minute_utc": {"data_type": "timestamp", "timezone": False},
        "minute_local": {"data_type": "timestamp", "timezone": False},
    },
)
def minutes(
    # dlt's idiom: the incremental cursor is declared as the argument's default.
    seq: dlt.sources.incremental[int] = dlt.sources.incremental("seq", initial_value=0),  # noqa: B008
) -> Iterator[pa.Table]:
    """Minutes whose seq is above the last load's highest (always at least one, possibly
    empty, typed table: dagster-dlt needs a table to exist)."""
    store = open_store()
    try:
        position: tuple[int, str, datetime] = (int(seq.start_value or 0), "", datetime.min)
        yielded = False
        while True:
            rows = store.changes_after(position, PAGE_ROWS)
            if rows:
                yield minutes_table(rows)
                yielded = True
            if len(rows) < PAGE_ROWS:
                break
            last = rows[-1]
            position = (last.seq, last.user_id, last.minute_utc)
        if not yielded:
            yield MINUTES_SCHEMA.empty_table()
    finally:
        store.close()
