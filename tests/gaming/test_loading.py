"""The gaming load path against a real DuckDB warehouse and real files."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest

from loaders.gaming import pipeline as gaming
from loaders.gaming.lake import GamingLake
from tests.conftest import REPO
from tests.gaming.helpers import event, land, load, mart_snapshot, rows
from tributary import warehouse


def test_seed_example_gives_the_expected_tables(built_data_dir):
    land(
        "0000.json",
        [
            '{"user": "A", "timestamp":"2017-12-19 10:41:49", "spend":"1.99","evtname":"iap"}',
            '{"user": "B", "timestamp":"2017-12-20 11:22:18", "evtname":"tutorial"}',
            '{"user": "A", "timestamp":"2017-12-20 18:20:10", "spend":"9.99","evtname":"iap"}',
        ],
    )
    load()
    assert rows('SELECT * FROM gaming."user" ORDER BY "timestamp"') == [
        ("A", "2017-12-19 10:41:49", "iap"),
        ("B", "2017-12-20 11:22:18", "tutorial"),
        ("A", "2017-12-20 18:20:10", "iap"),
    ]
    assert rows("SELECT * FROM gaming.revenue ORDER BY ALL") == [("A", "11.98"), ("B", "0.00")]
    types = rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'gaming' AND table_name IN ('user', 'revenue') ORDER BY ALL"
    )
    assert types == [
        ("revenue", "total_spend", "VARCHAR"),
        ("revenue", "user", "VARCHAR"),
        ("user", "evtname", "VARCHAR"),
        ("user", "timestamp", "VARCHAR"),
        ("user", "user", "VARCHAR"),
    ]


def test_new_files_load_only_new_rows(built_data_dir):
    land("0000.json", [event("A", spend="1.00"), event("B")])
    first = load()
    assert [f.path.rsplit("/", 1)[-1] for f in first.pending] == ["0000.json"]

    land("0001.json", [event("A", spend="2.50"), event("C")])
    second = load()
    assert [f.path.rsplit("/", 1)[-1] for f in second.pending] == ["0001.json"]
    # The second batch read only the new file: two lines, not four.
    assert rows("SELECT count(*) FROM gaming_raw.events WHERE batch_id = ?", second.batch_ids) == [
        (2,)
    ]
    assert rows("SELECT count(*) FROM gaming_raw.file_loads") == [(2,)]
    assert rows("SELECT * FROM gaming.revenue ORDER BY ALL") == [
        ("A", "3.50"),
        ("B", "0.00"),
        ("C", "0.00"),
    ]

    third = load()
    assert third.empty and third.listed == 2
    assert rows("SELECT count(*) FROM gaming_raw.events") == [(4,)]


def test_rewritten_file_replaces_its_rows(built_data_dir):
    path = land("0000.json", [event("A", spend="1.00"), event("B", spend="5.00"), "junk"])
    load()
    stat = os.stat(path)
    land("0000.json", [event("A", spend="7.00")])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    plan = load()
    assert plan.rewritten == [str(path)]
    assert rows("SELECT * FROM gaming.revenue") == [("A", "7.00")]
    assert rows('SELECT count(*) FROM gaming."user"') == [(1,)]
    assert rows("SELECT count(*) FROM gaming.quarantine") == [(0,)]
    # Both reads are on record; only the current one is visible.
    assert rows("SELECT count(*) FROM gaming_raw.file_loads") == [(2,)]


def test_bad_lines_are_quarantined_with_reasons_and_counts_reconcile(built_data_dir):
    land(
        "0000.json",
        [
            event("A", spend="1.99"),
            "not json at all",
            "[1, 2, 3]",
            '{"timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
            '{"user": "A", "evtname": "iap"}',
            '{"user": "A", "timestamp": "2017-12-19 10:41:49"}',
            event("A", ts="2017-02-30 10:00:00"),
            event("A", ts="2017-12-19T10:41:49"),
            event("A", spend="-1"),
            event("A", spend="1,99"),
            event("A", spend=""),
            '{"user": 7, "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
            "",
        ],
    )
    load()
    reasons = rows("SELECT line_number, reason FROM gaming.quarantine ORDER BY line_number")
    assert reasons == [
        (2, "line is not valid JSON"),
        (3, "line is not a JSON object"),
        (4, "missing field: user"),
        (5, "missing field: timestamp"),
        (6, "missing field: evtname"),
        (7, "timestamp is not a real date-time"),
        (8, "timestamp is not in the form YYYY-MM-DD HH:MM:SS"),
        (9, "spend is not a non-negative decimal"),
        (10, "spend is not a non-negative decimal"),
        (11, "spend is not a non-negative decimal"),
        (12, "user is not a string"),
        (13, "line is empty"),
    ]
    assert rows("SELECT raw FROM gaming.quarantine WHERE line_number = 2") == [("not json at all",)]
    with warehouse.connect(read_only=True, lock=False) as con:
        check = gaming.reconcile(con)
    assert check.passed
    assert (check.lines_read, check.valid, check.quarantined) == (13, 1, 12)


def test_decimal_sums_are_exact(built_data_dir):
    land(
        "0000.json",
        [event("A", spend="0.1") for _ in range(10)]
        + [event("B", spend="1.99"), event("B", spend=9.99)],
    )
    land(
        "0001.json",
        [event("C", spend="0.005"), event("D", spend="123456789012345678.99")]
        + [event("E", spend="0.01")] * 3,
    )
    load()
    revenue = dict(rows("SELECT * FROM gaming.revenue"))
    assert revenue == {
        "A": "1.00",
        "B": "11.98",
        "C": "0.01",
        "D": "123456789012345678.99",
        "E": "0.03",
    }
    assert all(Decimal(v) == Decimal(v).quantize(Decimal("0.01")) for v in revenue.values())


def test_unicode_user_names(built_data_dir):
    names = ["Zoë", "山田太郎", "أحمد", "🎮 player", "ß\u200d"]
    land("0000.json", [event(n, spend="1.50") for n in names] + [event("Zoë", spend="0.50")])
    load()
    revenue = dict(rows("SELECT * FROM gaming.revenue"))
    assert revenue == {
        "Zoë": "2.00",
        "山田太郎": "1.50",
        "أحمد": "1.50",
        "🎮 player": "1.50",
        "ß\u200d": "1.50",
    }


def test_invalid_utf8_and_crlf_lines(built_data_dir, data_dir):
    folder = data_dir / "landing" / "gaming"
    folder.mkdir(parents=True)
    (folder / "0000.json").write_bytes(
        b'{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}\r\n'
        b'{"user": "\xff", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}\r\n'
    )
    load()
    assert rows('SELECT "user" FROM gaming."user"') == [("A",)]
    assert rows("SELECT line_number, reason FROM gaming.quarantine") == [
        (2, "line is not valid UTF-8")
    ]


def test_empty_or_missing_landing_location(built_data_dir, data_dir):
    plan = load()  # the landing folder does not even exist
    assert plan.empty and plan.listed == 0
    (data_dir / "landing" / "gaming").mkdir(parents=True)
    assert load().empty
    assert mart_snapshot() == {"user": [], "revenue": [], "quarantine": []}


# A load that dies inside its second batch's transaction, after that batch's rows are
# inserted and before its manifest rows are: no rollback, no close, as a kill -9 would.
_DIE_IN_SECOND_BATCH = """
import os
from loaders.gaming import warehouse_load
from loaders.file_domain import load_once
from loaders.gaming.pipeline import DOMAIN

real, calls = warehouse_load.manifest_rows, []

def dying(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        os._exit(9)
    return real(*args, **kwargs)

warehouse_load.manifest_rows = dying
load_once(DOMAIN)
"""


def test_crash_mid_load_loses_and_duplicates_nothing(built_data_dir, monkeypatch):
    monkeypatch.setenv("GAMING_FILES_PER_BATCH", "1")
    land("0000.json", [event("A", spend="1.00"), event("B", spend="2.00"), "junk"])
    land("0001.json", [event("A", spend="0.50"), "junk"])
    land("0002.json", [event("C", spend="3.00")])
    died = subprocess.run(
        [sys.executable, "-c", _DIE_IN_SECOND_BATCH], cwd=REPO, env=os.environ, check=False
    )
    assert died.returncode == 9
    # The first batch committed whole; nothing of the second is visible.
    assert rows("SELECT count(*), sum(lines_read) FROM gaming_raw.file_loads") == [(1, 3)]
    assert rows("SELECT count(*) FROM gaming_raw.events") == [(2,)]
    lake = GamingLake()
    # the dead batch's journal, and the next one's if a worker was already preparing it
    assert 1 <= len(lake.journaled_batches()) <= 2

    load()  # the next run reads the two other files, and only those
    assert lake.journaled_batches() == [] and lake.list_rel("_staging") == []
    assert len(lake.fs.glob(f"{lake.root}/events/*/*.parquet")) == 1 + 3  # batch_id=none
    assert rows("SELECT * FROM gaming.revenue ORDER BY ALL") == [
        ("A", "1.50"),
        ("B", "2.00"),
        ("C", "3.00"),
    ]
    assert rows("SELECT count(*) FROM gaming.quarantine") == [(2,)]
    assert rows("SELECT count(*), sum(lines_read) FROM gaming_raw.file_loads") == [(3, 6)]
    assert rows("SELECT count(*) FROM gaming_raw.events") == [(4,)]
    with warehouse.connect(read_only=True, lock=False) as con:
        assert gaming.reconcile(con).passed


def test_a_backlog_streams_through_in_bounded_batches(built_data_dir, monkeypatch):
    monkeypatch.setenv("GAMING_FILES_PER_BATCH", "2")
    for i in range(5):
        land(f"{i:04d}.json", [event(f"u{i}", spend="1.25"), "junk"])
    plan = load()
    assert len(plan.batch_ids) == 3  # 2 + 2 + 1 files, one load
    assert (plan.lines_read, plan.valid, plan.quarantined) == (10, 5, 5)
    assert rows("SELECT count(DISTINCT batch_id) FROM gaming_raw.files") == [(3,)]
    assert rows("SELECT count(*), min(total_spend) FROM gaming.revenue") == [(5, "1.25")]
    with warehouse.connect(read_only=True, lock=False) as con:
        assert gaming.reconcile(con, plan.batch_ids[:1]).lines_read == 4
        assert gaming.reconcile(con).passed


def test_a_published_batch_that_never_committed_is_invisible_then_deleted(built_data_dir):
    land("0000.json", [event("A", spend="1.00")])
    load()
    lake = GamingLake()
    [committed] = [p for p in lake.fs.glob(f"{lake.root}/events/*/*.parquet") if "=none" not in p]
    # What a load killed after publishing its file and before COMMIT leaves behind.
    orphan = lake.uri("events/batch_id=dead/part-0.parquet")
    lake.fs.makedirs(orphan.rsplit("/", 1)[0], exist_ok=True)
    lake.fs.copy(committed, orphan)
    lake.write_json(
        "_batches/dead.json", {"batch_id": "dead", "files": ["events/batch_id=dead/part-0.parquet"]}
    )
    assert rows("SELECT * FROM gaming.revenue") == [("A", "1.00")]  # dbt keeps current batches
    land("0001.json", [event("B", spend="2.00")])
    load()
    assert not lake.exists("events/batch_id=dead/part-0.parquet") and not lake.journaled_batches()
    assert rows("SELECT * FROM gaming.revenue ORDER BY ALL") == [("A", "1.00"), ("B", "2.00")]
    with warehouse.connect(read_only=True, lock=False) as con:
        assert gaming.reconcile(con).passed


def test_a_warehouse_from_before_the_lake_keeps_its_rows(built_data_dir):
    """An ``events`` table (the layout before the lake) is moved into the lake, one file per
    batch, by the next load."""
    land("0000.json", [event("A", spend="1.00"), "junk"])
    load()
    before = mart_snapshot()
    with warehouse.connect() as con:
        con.execute("CREATE TABLE gaming_raw.events_rows AS SELECT * FROM gaming_raw.events")
        con.execute("DROP VIEW gaming_raw.events")
        con.execute("ALTER TABLE gaming_raw.events_rows RENAME TO events")
    lake = GamingLake()
    lake.fs.rm(f"{lake.root}/events", recursive=True)
    load()
    assert mart_snapshot() == before
    assert rows(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'events'"
        " AND table_schema = 'gaming_raw'"
    ) == [("VIEW",)]
    with warehouse.connect(read_only=True, lock=False) as con:
        assert gaming.reconcile(con).passed


def _lake_files(lake: GamingLake) -> tuple[int, int]:
    """(batch files, compacted files) in the lake, the two empty placeholders left out."""
    batch = [p for p in lake.fs.glob(f"{lake.root}/events/*/*.parquet") if "=none" not in p]
    compacted = [p for p in lake.fs.glob(f"{lake.root}/compacted/*.parquet") if "none" not in p]
    return len(batch), len(compacted)


def _three_small_batches(monkeypatch, min_files: str) -> GamingLake:
    """Three files loaded as three batches (a file each), compaction at ``min_files`` files."""
    monkeypatch.setenv("GAMING_FILES_PER_BATCH", "1")
    monkeypatch.setenv("GAMING_COMPACT_MIN_FILES", min_files)
    for i in range(3):
        land(f"{i:04d}.json", [event(f"u{i}", spend="1.00"), "junk"])
    load()
    return GamingLake()


def test_compaction_bounds_the_lake_files_and_changes_no_table(built_data_dir, monkeypatch):
    """Small batches (the follow service commits one every few seconds) are merged once there
    are GAMING_COMPACT_MIN_FILES of them, and small compacted files among themselves; a file
    rewritten after its batch was compacted still counts once, at its new content."""
    lake = _three_small_batches(monkeypatch, min_files="4")
    assert _lake_files(lake) == (3, 0)
    for i in range(3, 5):
        land(f"{i:04d}.json", [event(f"u{i}", spend="2.00")])
    load()
    assert _lake_files(lake) == (0, 1)
    assert rows("SELECT count(*), count(DISTINCT batch_id) FROM gaming_raw.lake_compacted") == [
        (5, 5)
    ]
    land("0000.json", [event("u0", spend="5.00"), event("u9", spend="0.25")])  # rewritten
    for i in range(5, 8):
        land(f"{i:04d}.json", [event(f"u{i}", spend="3.00")])
    load()
    assert _lake_files(lake) == (0, 2)  # the 4 new batch files merged among themselves
    with warehouse.connect() as con:  # the second tier: small compacted files merged
        assert lake.compact(con, min_files=2) == 2
    land("0008.json", [event("u8", spend="4.00")])
    load()
    assert _lake_files(lake) == (1, 1) and not lake.list_rel("_compaction")
    assert rows("SELECT * FROM gaming.revenue WHERE \"user\" IN ('u0', 'u9') ORDER BY ALL") == [
        ("u0", "5.00"),
        ("u9", "0.25"),
    ]
    assert rows("SELECT count(*) FROM gaming.revenue") == [(10,)]
    assert rows("SELECT count(*) FROM gaming_raw.events") == [(3 + 2 + 2 + 3 + 1,)]
    with warehouse.connect(read_only=True, lock=False) as con:
        assert gaming.reconcile(con).passed


def test_a_compaction_killed_before_or_after_its_swap_is_recovered(built_data_dir, monkeypatch):
    """Killed with its output published but not named by the warehouse: invisible, then
    deleted. Killed after the swap, before deleting the merged files: they are no longer
    read (no row twice), then deleted."""
    lake = _three_small_batches(monkeypatch, min_files="100")
    before = mart_snapshot()

    class DiesAtSwap:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql.startswith("INSERT OR REPLACE INTO gaming_raw.lake_compacted"):
                raise KeyboardInterrupt  # killed between publishing and the swap's commit
            return self.con.execute(sql, *args)

    with warehouse.connect() as con:
        with pytest.raises(KeyboardInterrupt):
            lake.compact(DiesAtSwap(con), min_files=2)
        assert con.execute("SELECT count(*) FROM gaming_raw.events").fetchone() == (3,)
    assert _lake_files(lake) == (3, 1) and len(lake.list_rel("_compaction")) == 1
    land("0003.json", [event("u3", spend="1.00")])
    load()  # recovers: the unnamed output and its journal go
    assert _lake_files(lake) == (4, 0) and not lake.list_rel("_compaction")

    finish = GamingLake._finish_compaction
    monkeypatch.setattr(GamingLake, "_finish_compaction", lambda *a: None)  # killed after swap
    with warehouse.connect() as con:
        assert lake.compact(con, min_files=2) == 4
        assert con.execute("SELECT count(*) FROM gaming_raw.events").fetchone() == (4,)
    assert _lake_files(lake) == (4, 1)
    monkeypatch.setattr(GamingLake, "_finish_compaction", finish)
    load()  # recovers: the merged files go
    assert _lake_files(lake) == (0, 1) and not lake.list_rel("_compaction")
    after = mart_snapshot()
    assert after["quarantine"] == before["quarantine"]
    assert sorted(after["revenue"]) == sorted(before["revenue"] + [("u3", "1.00")])
    with warehouse.connect(read_only=True, lock=False) as con:
        assert gaming.reconcile(con).passed
