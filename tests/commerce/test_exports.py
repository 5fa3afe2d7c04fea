"""The shop's CSV exports: both dialects accepted, everything else rejected with file, line
and column; loading into the shop database upserts and tracks changes in ``updated_at``."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from loaders.commerce.exports import ExportError, parse_order_items, parse_orders
from loaders.commerce.shop_db import engine, load_exports
from tests.commerce.conftest import drop_shop_tables

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_both_dialects_parse_to_the_same_rows(tmp_path):
    documented = write(
        tmp_path / "a.csv",
        [
            "id,order_date,status,device,order_total",
            "7,2016-01-03 13:55:00,delivered,ios,10.50",
            "8,2016-01-03 14:00,canceled,android,",
        ],
    )
    real = write(
        tmp_path / "b.csv",
        [
            "id;order_date;order_status;device_type;order_total;coupon",
            "7;03/01/2016 13:55;delivered;ios;10.50;X",
            "8;03/01/2016 14:00;canceled;android;;",
        ],
    )
    a, b = parse_orders(documented).to_pylist(), parse_orders(real).to_pylist()
    assert a == b
    assert a[0]["order_date"] == datetime(2016, 1, 3, 13, 55)
    assert a[1]["order_total"] is None


@pytest.mark.parametrize(
    ("lines", "line", "column", "reason"),
    [
        (["id\torder_date\tstatus\tdevice", "1\tx\ty\tz"], 1, None, "comma- or semicolon"),
        (["id;order_date;state;device_type", "1;03/01/2016 13:55;ok;ios"], 1, "status", "missing"),
        (["id;order_date;status;device", "1;2016/01/03 13:55;ok;ios"], 2, "order_date", "is not"),
        (["id;order_date;status;device", "1;31/02/2016 13:55;ok;ios"], 2, "order_date", "real"),
        (
            [
                "id;order_date;status;device",
                "1;03/01/2016 13:55;ok;ios",
                "x;03/01/2016 13:55;ok;ios",
            ],
            3,
            "id",
            "integer",
        ),
        (
            ["id;order_date;status;device", "1;03/01/2016 13:55;ok;ios;extra"],
            2,
            None,
            "Expected Number",
        ),
        (
            [
                "id;order_date;status;device",
                "1;03/01/2016 13:55;ok;ios",
                "1;03/01/2016 13:56;ok;ios",
            ],
            3,
            "id",
            "duplicate",
        ),
        (["id;order_date;status;device", "1;03/01/2016 13:55;;ios"], 2, "status", "empty"),
        (
            ["id,order_date,status,device,order_total", "1,2016-01-03 13:55,ok,ios,abc"],
            2,
            "order_total",
            "decimal",
        ),
    ],
)
def test_orders_errors_name_file_line_and_column(tmp_path, lines, line, column, reason):
    path = write(tmp_path / "orders.csv", lines)
    with pytest.raises(ExportError) as info:
        parse_orders(path)
    err = info.value
    assert (err.path, err.line) == (path, line)
    if column:
        assert err.column == column
    assert reason in str(err) and str(path) in str(err) and f"line {line}" in str(err)


def test_order_device_type_alias_named_in_errors(tmp_path):
    path = write(tmp_path / "o.csv", ["id;order_date;order_status", "1;03/01/2016 13:55;ok"])
    with pytest.raises(ExportError, match="device_type"):
        parse_orders(path)


def test_items_errors_and_item_numbers(tmp_path):
    bad = write(tmp_path / "i.csv", ["order_id;code_color", "1;A", "1;"])
    with pytest.raises(ExportError) as info:
        parse_order_items(bad)
    assert (info.value.line, info.value.column) == (3, "code_color")
    good = write(tmp_path / "j.csv", ["order_id,code_color", "1,A", "2,B", "1,A"])
    rows = parse_order_items(good).to_pylist()
    assert [(r["order_id"], r["item_number"], r["code_color"]) for r in rows] == [
        (1, 1, "A"),
        (2, 1, "B"),
        (1, 2, "A"),
    ]


def _shop_state(url: str) -> dict[int, tuple[str, datetime]]:
    eng = engine(url)
    try:
        with eng.connect() as con:
            return {
                r[0]: (r[1], r[2])
                for r in con.execute(sa.text("SELECT id, status, updated_at FROM orders"))
            }
    finally:
        eng.dispose()


def _upsert_tracks_changes(tmp_path: Path, url: str) -> None:
    orders = ["id;order_date;order_status;device_type"]
    orders += [f"{i};03/01/2016 13:55;approved;ios" for i in (1, 2)]
    items = write(tmp_path / "i.csv", ["order_id,code_color", "1,A", "2,B"])
    first = load_exports(write(tmp_path / "o.csv", orders), items, url)
    assert first.rows_written == 4
    before = _shop_state(url)
    again = load_exports(tmp_path / "o.csv", items, url)
    assert again.rows_written == 0
    assert _shop_state(url) == before
    orders[2] = "2;03/01/2016 13:55;canceled;ios"
    changed = load_exports(write(tmp_path / "o.csv", orders), items, url)
    assert changed.rows_written == 1
    after = _shop_state(url)
    assert after[1] == before[1]
    assert after[2][0] == "canceled" and after[2][1] > before[2][1]


def test_upsert_tracks_changes_sqlite(tmp_path):
    _upsert_tracks_changes(tmp_path, f"sqlite:///{tmp_path / 'shop.sqlite'}")


def test_upsert_tracks_changes_postgres(tmp_path, postgres_url):
    try:
        _upsert_tracks_changes(tmp_path, postgres_url)
    finally:
        drop_shop_tables(postgres_url)


def test_cli_reports_errors_without_writing(tmp_path, commerce_env):
    bad = write(tmp_path / "o.csv", ["id;order_date;status;device", "1;2016-13-01 10:00;ok;ios"])
    items = write(tmp_path / "i.csv", ["order_id,code_color", "1,A"])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "loaders.commerce.shop_db",
            "--orders",
            str(bad),
            "--order-items",
            str(items),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert f"{bad}, line 2, column order_date" in proc.stdout
    assert not (commerce_env.data_dir / "commerce" / "shop.sqlite").exists() or not _shop_state(
        f"sqlite:///{commerce_env.data_dir / 'commerce' / 'shop.sqlite'}"
    )
