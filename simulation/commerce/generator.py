"""Generate the commerce inputs: product-view JSON batches per platform and the shop's CSVs.

Realistic enough to exercise the pipeline: several thousand products with skewed popularity,
views following a daily cycle per platform, orders placed a few minutes after a view of the
same product on the same platform, several items per order, cancelled and refunded orders,
device names that map to the three platforms (and some that do not), and the defects real
exports have: a truncated JSON file, a broken JSON line, product views without ``codeColor``
or with a non-numeric time, float times, batch-level times years off, constant event ids, and
order items of unknown orders. Deterministic for a given seed.

Files are written as ``<out>/views/<platform>/<day>-<n>.json`` in three shapes (a JSON array
of batches, JSON lines of batches, one batch object) and ``<out>/shop/orders.csv`` /
``order_items.csv`` (orders in the "real export" dialect: semicolons, ``order_status``,
``device_type``, ``DD/MM/YYYY HH:MM``; items in the documented comma dialect).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from tributary.platforms import PLATFORMS

DEVICES = {
    "iOS": ["ios", "iphone", "ipad"],
    "Android": ["android"],
    "MobileWeb": ["mobile_web", "msite"],
}
UNKNOWN_DEVICES = ["desktop", "smart_tv"]
STATUSES = [
    "delivered",
    "shipped",
    "invoiced",
    "approved",
    "canceled",
    "refunded",
    "pending_payment",
]
STATUS_WEIGHTS = [0.45, 0.15, 0.1, 0.08, 0.12, 0.05, 0.05]
PLATFORM_SHARE = [0.4, 0.35, 0.25]
# Views per hour of the local day (a daily cycle: quiet at night, peaks at lunch and evening).
HOURLY = np.array(
    [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10, 12, 11, 9, 8, 8, 9, 11, 13, 14, 12, 8, 4], dtype=float
)
OTHER_CUSTOM = ["add_to_cart", "search", "wishlist"]
OTHER_TYPES = ["screen_view", "session_start", "commerce_event"]
SHAPES = ["array", "jsonl", "single"]


@dataclass
class Generated:
    """What was written (counts the tests and the benchmark check against)."""

    view_files: list[Path] = field(default_factory=list)
    orders_csv: Path | None = None
    order_items_csv: Path | None = None
    product_views: int = 0
    other_events: int = 0
    defective_events: int = 0
    broken_files: int = 0
    broken_lines: int = 0
    orders: int = 0
    order_items: int = 0


def _products(n: int) -> list[str]:
    return [f"{20000000 + 37 * i:08d}_{(i % 7) + 1:03d}" for i in range(n)]


def _view_times(rng: np.random.Generator, n: int, start: datetime, days: int) -> np.ndarray:
    """Epoch ms (UTC) of ``n`` views following the daily cycle in local time."""
    p = np.tile(HOURLY / HOURLY.sum(), days) / days
    hours = rng.choice(len(p), size=n, p=p)
    local0 = start.timestamp()  # start is tz-aware local midnight
    seconds = local0 + hours * 3600 + rng.uniform(0, 3600, size=n)
    return np.sort(np.floor(seconds * 1000)).astype(np.int64)


def _batch(events: list[dict], mpid: int, batch_ts: int) -> dict:
    return {
        "events": events,
        "mpid": mpid,
        "timestamp_unixtime_ms": batch_ts,
        "batch_id": 4541028697219217452,
        "message_id": "67a98f22-cc4d-4e90-a14b-e74899a88da8",
        "message_type": "events",
        "schema_version": 1,
    }


def _product_event(ts: float | int, product: str | None, price: str) -> dict:
    attributes = {"actualPrice": price, "base": "p"}
    if product is not None:
        attributes["codeColor"] = product
    return {
        "data": {
            "custom_event_type": "navigation",
            "event_name": "product",
            "timestamp_unixtime_ms": ts,
            "event_id": 679644799952992890,
            "session_id": -7147916473548193691,
            "custom_attributes": attributes,
        },
        "event_type": "custom_event",
    }


def _other_event(rng: np.random.Generator, ts: int) -> dict:
    if rng.random() < 0.5:
        name = OTHER_CUSTOM[int(rng.integers(len(OTHER_CUSTOM)))]
        return {
            "data": {"event_name": name, "timestamp_unixtime_ms": ts, "custom_attributes": {}},
            "event_type": "custom_event",
        }
    kind = OTHER_TYPES[int(rng.integers(len(OTHER_TYPES)))]
    return {"data": {"timestamp_unixtime_ms": ts}, "event_type": kind}


def write_views(
    out: Path,
    *,
    products: int = 3000,
    views: int = 60_000,
    days: int = 7,
    start: str = "2016-01-04",
    timezone: str = "America/Sao_Paulo",
    files_per_day: int = 1,
    defects: bool = True,
    seed: int = 11,
    tag: str = "",
    generated: Generated | None = None,
) -> tuple[Generated, list[tuple[str, str, int]]]:
    """Write view files under ``out/views``; returns the summary and the product views as
    (platform, product, epoch ms) for the order generator."""
    rng = np.random.default_rng(seed)
    g = generated or Generated()
    names = _products(products)
    popularity = 1.0 / np.arange(1, products + 1) ** 0.8
    popularity /= popularity.sum()
    start_local = datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(timezone))
    seen: list[tuple[str, str, int]] = []
    per_platform = rng.multinomial(views, PLATFORM_SHARE)
    for platform, n in zip(PLATFORMS, per_platform, strict=True):
        folder = out / "views" / platform
        folder.mkdir(parents=True, exist_ok=True)
        times = _view_times(rng, int(n), start_local, days)
        picks = rng.choice(products, size=int(n), p=popularity)
        day_of = (times // 1000 - int(start_local.timestamp())) // 86400
        for day in range(days):
            idx = np.nonzero(day_of == day)[0]
            for part, chunk in enumerate(np.array_split(idx, files_per_day)):
                shape = SHAPES[(day + part + PLATFORMS.index(platform)) % 3]
                batches: list[dict] = []
                i = 0
                while i < len(chunk):
                    size = int(rng.integers(1, 6))
                    events = []
                    for j in chunk[i : i + size]:
                        ts: float | int = int(times[j])
                        product: str | None = names[int(picks[j])]
                        if rng.random() < 0.1:
                            ts = float(ts) + 0.25  # float times occur in real exports
                        if defects and rng.random() < 0.004:
                            product = None
                            g.defective_events += 1
                        elif defects and rng.random() < 0.002:
                            ts = "soon"  # type: ignore[assignment]
                            g.defective_events += 1
                        else:
                            g.product_views += 1
                            seen.append((platform, str(product), int(times[j])))
                        events.append(_product_event(ts, product, "189.9"))
                        if rng.random() < 0.3:
                            events.append(_other_event(rng, int(times[j])))
                            g.other_events += 1
                    i += size
                    # The batch-level time can lie years later in real exports: never use it.
                    batch_ts = int(times[chunk[0]]) + (94_608_000_000 if rng.random() < 0.2 else 0)
                    batches.append(_batch(events, int(rng.integers(-(2**62), 2**62)), batch_ts))
                if not batches:
                    continue
                name = folder / f"{start}{tag}-d{day:03d}-{part:03d}.json"
                if shape == "array":
                    text = json.dumps(batches)
                elif shape == "jsonl":
                    lines = [json.dumps(b) for b in batches]
                    if defects and day == 0:
                        lines.insert(len(lines) // 2, '{"events": [ {"event_type": ')
                        g.broken_lines += 1
                    text = "\n".join(lines) + "\n"
                else:
                    merged = [e for b in batches for e in b["events"]]
                    text = json.dumps(_batch(merged, 1, int(times[chunk[0]])), indent=1)
                name.write_text(text)
                g.view_files.append(name)
        if defects:
            broken = folder / f"{start}{tag}-broken.json"
            broken.write_text(json.dumps([_batch([_product_event(1, names[0], "1")], 1, 1)])[:-20])
            g.broken_files += 1
            g.view_files.append(broken)
    return g, seen


def write_shop(
    out: Path,
    seen: list[tuple[str, str, int]],
    *,
    conversion: float = 0.03,
    timezone: str = "America/Sao_Paulo",
    first_order_id: int = 100_000,
    defects: bool = True,
    seed: int = 12,
    real_dialect: bool = True,
    generated: Generated | None = None,
) -> Generated:
    """Orders placed 1-30 minutes after a view of one of their products (same platform)."""
    rng = np.random.default_rng(seed)
    g = generated or Generated()
    shop = out / "shop"
    shop.mkdir(parents=True, exist_ok=True)
    zone = ZoneInfo(timezone)
    n_orders = int(len(seen) * conversion)
    picks = rng.choice(len(seen), size=n_orders, replace=False) if n_orders else []
    orders, items = [], []
    for k, pick in enumerate(sorted(picks, key=lambda p: seen[p][2])):
        platform, product, ms = seen[int(pick)]
        order_id = first_order_id + k
        local = datetime.fromtimestamp(ms / 1000, zone) + timedelta(
            minutes=int(rng.integers(1, 31))
        )
        devices = DEVICES[platform]
        device = devices[int(rng.integers(len(devices)))]
        if defects and rng.random() < 0.03:
            device = UNKNOWN_DEVICES[int(rng.integers(len(UNKNOWN_DEVICES)))]
        status = str(rng.choice(STATUSES, p=STATUS_WEIGHTS))
        bought = [product]
        for _ in range(int(rng.integers(0, 3))):
            bought.append(seen[int(rng.integers(len(seen)))][1])
        total = 0.0
        for product_code in bought:
            price = round(float(rng.uniform(39.9, 399.9)), 2)
            total += price
            items.append((order_id, product_code, f"{price:.2f}"))
        orders.append((order_id, local, status, device, f"{total:.2f}"))
    if defects:
        items.append((first_order_id + n_orders + 1_000_000, seen[0][1] if seen else "x", "9.90"))
    g.orders += len(orders)
    g.order_items += len(items)
    g.orders_csv = shop / "orders.csv"
    g.order_items_csv = shop / "order_items.csv"
    if real_dialect:
        lines = ["id;order_date;order_status;device_type;order_total"]
        lines += [f"{o};{d:%d/%m/%Y %H:%M};{s};{dv};{t}" for o, d, s, dv, t in orders]
    else:
        lines = ["id,order_date,status,device,order_total"]
        lines += [f"{o},{d:%Y-%m-%d %H:%M:%S},{s},{dv},{t}" for o, d, s, dv, t in orders]
    g.orders_csv.write_text("\n".join(lines) + "\n")
    item_lines = ["order_id,code_color,price"] + [f"{o},{c},{p}" for o, c, p in items]
    g.order_items_csv.write_text("\n".join(item_lines) + "\n")
    return g


def write_sample(out: Path, **kwargs) -> Generated:
    """Views and shop exports for one period (see :func:`write_views` for the knobs)."""
    shop_keys = {"conversion", "first_order_id", "real_dialect"}
    shop_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in shop_keys}
    g, seen = write_views(out, **kwargs)
    return write_shop(
        out,
        seen,
        timezone=kwargs.get("timezone", "America/Sao_Paulo"),
        defects=kwargs.get("defects", True),
        seed=kwargs.get("seed", 11) + 1,
        generated=g,
        **shop_kwargs,
    )
