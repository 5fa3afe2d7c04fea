"""An independent CTR computation over the raw inputs, in plain Python.

Reads the view files with ``json`` and the CSV exports with ``csv`` (both dialects), applies
the rules as the issue and README state them, and buckets with ``datetime`` arithmetic.
Shares no code with the loaders, dbt or the API.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

PLATFORMS = {"ios": "iOS", "android": "Android", "mobileweb": "MobileWeb"}
DEVICES = {
    **dict.fromkeys(["ios", "iphone", "ipad", "ios_app"], "iOS"),
    **dict.fromkeys(["android", "android_app"], "Android"),
    **dict.fromkeys(["mobile_web", "mobileweb", "msite", "mobile", "web_mobile"], "MobileWeb"),
}
PURCHASE = {"approved", "paid", "invoiced", "shipped", "delivered", "complete", "completed"}


def _batches(text: str) -> list:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return []
    try:
        return [json.loads(stripped)]
    except json.JSONDecodeError:
        pass
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def views(folder: Path, tz: str = "America/Sao_Paulo") -> list[tuple[datetime, str, str]]:
    """(local minute, platform, product) of every valid product view."""
    zone = ZoneInfo(tz)
    out = []
    for path in sorted(folder.rglob("*.json")):
        platform = PLATFORMS.get(path.relative_to(folder).parts[0].lower())
        if platform is None:
            continue
        for batch in _batches(path.read_text()):
            if not isinstance(batch, dict) or not isinstance(batch.get("events"), list):
                continue
            for ev in batch["events"]:
                if not isinstance(ev, dict) or ev.get("event_type") != "custom_event":
                    continue
                data = ev.get("data") or {}
                if data.get("event_name") != "product":
                    continue
                code = (data.get("custom_attributes") or {}).get("codeColor")
                ts = data.get("timestamp_unixtime_ms")
                if not isinstance(code, str) or not code.strip():
                    continue
                if isinstance(ts, bool) or not isinstance(ts, int | float):
                    continue
                local = datetime.fromtimestamp(ts / 1000, zone).replace(tzinfo=None)
                out.append((local.replace(second=0, microsecond=0), platform, code))
    return out


def _rows(path: Path) -> list[dict]:
    text = path.read_text()
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = list(csv.DictReader(text.splitlines(), delimiter=delimiter))
    alias = {"order_status": "status", "device_type": "device"}
    return [{alias.get(k, k): v for k, v in r.items()} for r in rows]


def _date(text: str) -> datetime:
    for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(text)


def purchases(orders_csvs: list[Path], items_csvs: list[Path]) -> list[tuple[datetime, str, str]]:
    """(local minute, platform, product) per qualifying item; later exports win per id."""
    orders: dict[int, dict] = {}
    for path in orders_csvs:
        for r in _rows(path):
            orders[int(r["id"])] = r
    items: dict[tuple[int, int], str] = {}
    for path in items_csvs:
        position: dict[int, int] = defaultdict(int)
        for r in _rows(path):
            oid = int(r["order_id"])
            position[oid] += 1
            items[(oid, position[oid])] = r["code_color"].strip()
    out = []
    for (oid, _), product in items.items():
        order = orders.get(oid)
        if order is None or order["status"].strip().lower() not in PURCHASE:
            continue
        platform = DEVICES.get((order["device"] or "").strip().lower())
        if platform is None:
            continue
        out.append((_date(order["order_date"]).replace(second=0), platform, product))
    return out


def ctr(
    view_rows: list[tuple[datetime, str, str]],
    purchase_rows: list[tuple[datetime, str, str]],
    start: datetime,
    end: datetime,
    aggregation: int,
    product: str | None = None,
    platform: str | None = None,
) -> list[dict]:
    """The expected ``GET /ctr`` answer, as dicts with CTR as a 4-decimal string."""
    step = timedelta(minutes=aggregation)
    counts: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for rows, slot in ((view_rows, 0), (purchase_rows, 1)):
        for minute, plat, prod in rows:
            if not start <= minute < end:
                continue
            if (product and prod != product) or (platform and plat != platform):
                continue
            counts[((minute - start) // step, plat, prod)][slot] += 1
    out = []
    for (k, plat, prod), (v, p) in sorted(counts.items()):
        if v == 0:
            continue
        value = (Decimal(p) / Decimal(v)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        out.append(
            {
                "timestamp": (start + k * step).strftime("%Y-%m-%d %H:%M:%S"),
                "platform": plat,
                "product": prod,
                "CTR": str(value),
            }
        )
    return out
