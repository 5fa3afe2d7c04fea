"""The shop's SQL database (``COMMERCE_DB_URL``): schema and the upsert of CSV exports.

``python -m loaders.commerce.shop_db [--orders FILE --order-items FILE]`` (``make commerce-db``)
loads two exports; without arguments, the sample exports ``python -m simulation.commerce``
wrote (``make sample`` runs both).

Loading an export again upserts by key (``orders.id``; ``order_items`` by
``(order_id, item_number)``). ``updated_at`` is the change-tracking column: set on insert and
moved forward only when a row's values really change, so the warehouse's dlt ``sql_database``
extraction (incremental on ``updated_at``) pulls new orders and e.g. a status change of an
old order, and nothing else. Works on SQLite and PostgreSQL (any SQLAlchemy URL whose dialect
has ``INSERT … ON CONFLICT``).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from loaders.commerce import settings
from loaders.commerce.exports import ExportError, parse_order_items, parse_orders
from tributary.settings import landing_dir

metadata = sa.MetaData()

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("order_date", sa.DateTime, nullable=False, comment="shop-local wall-clock time"),
    sa.Column("status", sa.String(64), nullable=False),
    sa.Column("device", sa.String(64)),
    sa.Column("order_total", sa.Numeric(14, 2)),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True, comment="UTC, change cursor"),
)

order_items = sa.Table(
    "order_items",
    metadata,
    # No foreign key: real exports hold items of orders that are not (yet) in the orders export.
    sa.Column("order_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("item_number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code_color", sa.String(64), nullable=False),
    sa.Column("price", sa.Numeric(14, 2)),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True, comment="UTC, change cursor"),
)

CHUNK_ROWS = 5_000


def engine(url: str | None = None) -> sa.Engine:
    return sa.create_engine(url or settings.db_url())


def create_schema(eng: sa.Engine) -> None:
    metadata.create_all(eng)


def _insert(eng: sa.Engine, table: sa.Table):
    if eng.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif eng.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - documented limitation
        raise NotImplementedError(f"upsert not implemented for {eng.dialect.name}")
    return insert(table)


def upsert(eng: sa.Engine, table: sa.Table, rows: pa.Table, now: datetime) -> int:
    """Insert new keys, update changed rows (moving ``updated_at``); returns rows written."""
    keys = [c.name for c in table.primary_key.columns]
    values = [c.name for c in table.columns if c.name not in keys and c.name != "updated_at"]
    stmt = _insert(eng, table)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={**{v: excluded[v] for v in values}, "updated_at": excluded.updated_at},
        where=sa.or_(*[table.c[v].is_distinct_from(excluded[v]) for v in values]),
    )
    written = 0
    with eng.begin() as con:
        for batch in rows.to_batches(CHUNK_ROWS):
            records = batch.to_pylist()
            for r in records:
                r["updated_at"] = now
            result = con.execute(stmt, records)
            written += max(result.rowcount, 0)
    return written


@dataclass
class ShopLoad:
    url: str
    orders_read: int
    order_items_read: int
    rows_written: int


def load_exports(orders_csv: Path, items_csv: Path, url: str | None = None) -> ShopLoad:
    """Parse both exports (all-or-nothing: any error raises before writing) and upsert them."""
    parsed_orders = parse_orders(orders_csv)
    parsed_items = parse_order_items(items_csv)
    eng = engine(url)
    try:
        create_schema(eng)
        # Naive UTC, microseconds: comparable on every backend.
        now = datetime.now(UTC).replace(tzinfo=None)
        written = upsert(eng, orders, parsed_orders, now)
        written += upsert(eng, order_items, parsed_items, now)
    finally:
        eng.dispose()
    return ShopLoad(
        url=eng.url.render_as_string(hide_password=True),
        orders_read=parsed_orders.num_rows,
        order_items_read=parsed_items.num_rows,
        rows_written=written,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=Path, help="orders CSV (default: the sample export)")
    parser.add_argument("--order-items", type=Path, help="order_items CSV (default: the sample)")
    args = parser.parse_args()
    if bool(args.orders) != bool(args.order_items):
        parser.error("give both --orders and --order-items, or neither")
    if args.orders is None:
        shop = landing_dir("commerce") / "shop"
        if not (shop / "orders.csv").exists():
            print(f"error: no sample exports in {shop}: run `python -m simulation.commerce` first")
            return 2
        args.orders, args.order_items = shop / "orders.csv", shop / "order_items.csv"
    try:
        result = load_exports(args.orders, args.order_items)
    except ExportError as exc:
        print(f"error: {exc}")
        return 2
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
