"""Hand-made edge cases on 2015-06-01 (UTC-3 in Sao Paulo, no DST), away from the sample:

- ``EDGE_A`` on iOS: views at 10:00:00.000 local (on a bucket boundary), 10:59:59.999,
  11:00:00.000 (next bucket) and 12:00:00.000 (= endTimestamp of the requests: excluded);
  one delivered order at 10:30 from an ``iPhone``, one item → CTR 0.5000 in [10:00, 11:00);
  a cancelled order and a desktop order of it that do not count;
- ``EDGE_Z`` on iOS: 3 views, no purchases → 0.0000;
- ``EDGE_H`` on Android: 32 views, 1 purchase → 0.03125 → 0.0313 (half-up, not half-even);
- ``EDGE_B`` on MobileWeb: 4 views (one with a float time), 5 purchases → 1.2500.

The orders file uses the documented comma dialect with ISO dates.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("America/Sao_Paulo")
DAY = "2015-06-01"


def ms(local: str) -> int:
    """Epoch ms of a Sao Paulo wall-clock time ``YYYY-MM-DD HH:MM:SS.fff``."""
    t = datetime.strptime(local, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=ZONE)
    return round(t.timestamp() * 1000)


def view(ts: float, product: str) -> dict:
    return {
        "event_type": "custom_event",
        "data": {
            "event_name": "product",
            "timestamp_unixtime_ms": ts,
            "event_id": 1,  # constant ids: never de-duplicated
            "custom_attributes": {"codeColor": product},
        },
    }


def batch(events: list[dict]) -> dict:
    # A batch-level time years later than the events (as in real exports): never used.
    return {"events": events, "timestamp_unixtime_ms": ms("2019-01-01 00:00:00.000")}


def write_edge_cases(inputs: Path) -> dict:
    views = inputs / "views"
    a = [
        view(ms(f"{DAY} 10:00:00.000"), "EDGE_A"),
        view(ms(f"{DAY} 10:59:59.999"), "EDGE_A"),
        view(ms(f"{DAY} 11:00:00.000"), "EDGE_A"),
        view(ms(f"{DAY} 12:00:00.000"), "EDGE_A"),
        *[view(ms(f"{DAY} 10:15:00.000"), "EDGE_Z") for _ in range(3)],
    ]
    (views / "iOS").mkdir(parents=True, exist_ok=True)
    (views / "iOS" / "edge.json").write_text(json.dumps([batch(a[:2]), batch(a[2:])]))
    (views / "Android").mkdir(parents=True, exist_ok=True)
    h = [view(ms(f"{DAY} 10:20:00.000"), "EDGE_H") for _ in range(32)]
    (views / "Android" / "edge.json").write_text("\n".join(json.dumps(batch([e])) for e in h))
    (views / "MobileWeb").mkdir(parents=True, exist_ok=True)
    b = [view(ms(f"{DAY} 10:05:00.000") + 0.5, "EDGE_B")]
    b += [view(ms(f"{DAY} 10:06:00.000"), "EDGE_B") for _ in range(3)]
    (views / "MobileWeb" / "edge.json").write_text(json.dumps(batch(b), indent=2))

    shop = inputs / "shop"
    shop.mkdir(parents=True, exist_ok=True)
    orders = [
        "id,order_date,status,device,order_total",
        f"1,{DAY} 10:30:00,delivered,iPhone,10.00",
        f"2,{DAY} 10:31:00,canceled,iphone,10.00",
        f"3,{DAY} 10:32:00,delivered,desktop,10.00",
        f"4,{DAY} 10:40:00,shipped,android,10.00",
        f"5,{DAY} 10:10:00,invoiced,msite,50.00",
    ]
    items = ["order_id,code_color,price", "1,EDGE_A,10.00", "2,EDGE_A,10.00", "3,EDGE_A,10.00"]
    items += ["4,EDGE_H,10.00"] + ["5,EDGE_B,10.00"] * 5
    (shop / "edge_orders.csv").write_text("\n".join(orders) + "\n")
    (shop / "edge_items.csv").write_text("\n".join(items) + "\n")
    return {"orders_csv": shop / "edge_orders.csv", "items_csv": shop / "edge_items.csv"}
