"""Building event lines and reading the lake back, for the events tests.

Expected answers are computed here in plain Python from the raw lines (``expected_lake``),
independently of the DuckDB validation they check.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.dataset as ds

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TYPE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,99}")
T0 = 1_709_280_000_000  # 2024-03-01T08:00:00Z


def event(
    type_: str = "product_viewed",
    at: int = T0,
    user: str | None = "u1",
    id_: str | None = None,
    **attributes,
) -> dict:
    attrs = dict(attributes)
    if user is not None:
        attrs = {"user_id": user, **attrs}
    return {
        "data": {"id": id_ or str(uuid.uuid4()), "type": type_, "attributes": attrs},
        "meta": {"created_at": at, "service": "svc"},
    }


def dumps(line: dict | str | bytes) -> bytes:
    if isinstance(line, bytes):
        return line
    if isinstance(line, dict):
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode()
    return line.encode()


def write_lines(folder: Path, name: str, lines: list) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"".join(dumps(line) + b"\n" for line in lines))
    return path


def python_valid(raw: bytes) -> dict | None:
    """The validation rules, re-implemented in plain Python: the event, or None if invalid."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    data, meta = doc.get("data"), doc.get("meta")
    if not isinstance(data, dict) or not isinstance(meta, dict):
        return None
    id_, type_, attrs = data.get("id"), data.get("type"), data.get("attributes")
    created = meta.get("created_at")
    if not isinstance(id_, str) or not UUID_RE.fullmatch(id_):
        return None
    if not isinstance(type_, str) or not TYPE_RE.fullmatch(type_):
        return None
    if not isinstance(attrs, dict):
        return None
    if isinstance(created, bool) or not isinstance(created, int):
        return None
    if not 946_684_800_000 <= created < 4_102_444_800_000:
        return None
    return {
        "id": id_.lower(),
        "type": type_,
        "created_at": created,
        "attributes": attrs,
        "meta": meta,
    }


def expected_lake(raw_lines: list[bytes]) -> dict[str, dict]:
    """id → event, first valid occurrence wins (the inputs here never differ between copies)."""
    out: dict[str, dict] = {}
    for raw in raw_lines:
        ev = python_valid(raw)
        if ev is not None and ev["id"] not in out:
            out[ev["id"]] = ev
    return out


def partition_of(ev: dict) -> tuple[str, str, str]:
    t = datetime.fromtimestamp(ev["created_at"] / 1000, UTC)
    return ev["type"], f"{t:%Y-%m-%d}", f"{t:%H}"


def lake_table(lake_root: Path):
    """Every row of the ``*.parquet`` files (what a reader's glob sees) with its hive partition
    values, read with pyarrow (independent of DuckDB)."""
    files = sorted(str(p) for p in (lake_root / "events").rglob("*.parquet"))
    dataset = ds.dataset(
        files,
        format="parquet",
        partitioning=ds.HivePartitioning.discover(),
        partition_base_dir=str(lake_root / "events"),
    )
    return dataset.to_table()


def lake_rows(lake_root: Path) -> list[tuple]:
    """(id, type, created_at ms, event_type, date, hour, user_id, attributes, meta) sorted."""
    table = lake_table(lake_root)
    rows = []
    for r in table.to_pylist():
        rows.append(
            (
                r["id"],
                r["type"],
                int(r["created_at"].replace(tzinfo=UTC).timestamp() * 1000),
                str(r["event_type"]),
                str(r["date"]),
                f"{int(r['hour']):02d}",
                r["user_id"],
                json.loads(r["attributes"]),
                json.loads(r["meta"]),
            )
        )
    return sorted(rows, key=lambda x: x[0])


def expected_rows(raw_lines: list[bytes]) -> list[tuple]:
    rows = []
    for ev in expected_lake(raw_lines).values():
        t, d, h = partition_of(ev)
        user = ev["attributes"].get("user_id")
        rows.append(
            (
                ev["id"],
                ev["type"],
                ev["created_at"],
                t,
                d,
                h,
                None if user is None else str(user),
                ev["attributes"],
                ev["meta"],
            )
        )
    return sorted(rows, key=lambda x: x[0])


def read_raw_lines(folder: Path) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted(folder.rglob("*.json")):
        lines.extend(x.rstrip(b"\r") for x in path.read_bytes().split(b"\n")[:-1])
    return lines
