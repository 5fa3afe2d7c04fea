"""The gaming domain reading its landing files from S3 (a real S3 API: moto's server over HTTP).

The same files landed on S3 and in a local folder must give the same marts; S3 objects are
fingerprinted by ETag, so a rewritten object is re-read and a new one is read alone; and the
``gaming_refresh`` job materialises every asset from an S3 landing location.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from loaders.gaming.landing import Landing
from tests.conftest import run_job, s3_client_for
from tests.gaming.helpers import event, load, rows, store_rows

PREFIX = "landing/gaming"

# Landed files (path under the landing root -> lines; bytes lines are written verbatim).
# Bad lines, unicode users, string and number spends, a nested folder, CRLF and invalid UTF-8.
FILES: dict[str, list] = {
    "0000.json": [
        event("A", spend="1.99"),
        event("B", ts="2017-12-20 11:22:18", evtname="tutorial"),
        event("A", ts="2017-12-20 18:20:10", spend="9.99"),
        "not json at all",
        '{"user": "A", "evtname": "iap"}',
    ],
    "0001.jsonl": [
        event("Zoë", spend="0.50"),
        event("山田太郎", spend="1.50"),
        event("🎮 player", spend=2.25),
        "[1, 2, 3]",
        event("Zoë", ts="2017-12-21 00:00:00", spend="0.50"),
        event("A", spend="-1"),
        "",
    ],
    "2017-12-21/0002.ndjson": [
        event("B", spend="0.005"),
        event("C", ts="2017-02-30 10:00:00"),
        event("أحمد", spend="123456789012345678.99"),
        b'{"user": "\xff", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
        '{"user": 7, "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
    ],
    # Not event files: skipped on both sides.
    "_manifest.json": [event("IGNORED", spend="100")],
    ".0003.json.tmp": [event("IGNORED", spend="100")],
    "notes.txt": ["not an event file"],
}
CRLF_FILES = {"0001.jsonl"}

EXPECTED_REVENUE = [
    ("A", "11.98"),
    ("B", "0.01"),
    ("Zoë", "1.00"),
    ("أحمد", "123456789012345678.99"),
    ("山田太郎", "1.50"),
    ("🎮 player", "2.25"),
]

EXPECTED_QUARANTINE = [
    ("0000.json", 4, "line is not valid JSON"),
    ("0000.json", 5, "missing field: timestamp"),
    ("0001.jsonl", 4, "line is not a JSON object"),
    ("0001.jsonl", 6, "spend is not a non-negative decimal"),
    ("0001.jsonl", 7, "line is empty"),
    ("2017-12-21/0002.ndjson", 2, "timestamp is not a real date-time"),
    ("2017-12-21/0002.ndjson", 4, "line is not valid UTF-8"),
    ("2017-12-21/0002.ndjson", 5, "user is not a string"),
]


def encode(lines: list, newline: bytes = b"\n") -> bytes:
    """JSON-lines bytes: dicts JSON-encoded, strings UTF-8, bytes verbatim; a final newline."""
    out = [
        line
        if isinstance(line, bytes)
        else (json.dumps(line, ensure_ascii=False) if isinstance(line, dict) else line).encode()
        for line in lines
    ]
    return newline.join(out) + newline


def file_bytes(name: str) -> bytes:
    return encode(FILES[name], b"\r\n" if name in CRLF_FILES else b"\n")


# ---------------------------------------------------------------------------------------------
# S3: moto's standalone server (moto_endpoint in tests/conftest.py, one per module); one
# fresh bucket per test.


class Bucket:
    def __init__(self, client, name: str) -> None:
        self.client = client
        self.name = name

    def url(self, prefix: str = PREFIX) -> str:
        return f"s3://{self.name}/{prefix}/"

    def put(self, key: str, body: bytes) -> str:
        """Upload one object; returns its ETag (without quotes)."""
        return self.client.put_object(Bucket=self.name, Key=key, Body=body)["ETag"].strip('"')


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """Standard AWS_* settings pointing at the moto server, and an empty bucket."""
    client = s3_client_for(moto_endpoint, monkeypatch)
    bucket = Bucket(client, f"tributary-{uuid.uuid4().hex[:12]}")
    client.create_bucket(Bucket=bucket.name)
    return bucket


def land_everywhere(bucket: Bucket, folder: Path) -> None:
    """The same files as S3 objects under PREFIX and in a local folder."""
    for name in FILES:
        body = file_bytes(name)
        bucket.put(f"{PREFIX}/{name}", body)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    # A sibling prefix that merely starts with the same characters is not part of the location.
    bucket.put(f"{PREFIX}-other/0000.json", encode([event("OUTSIDE", spend="5.00")]))


def relative(source_file: str, root: str) -> str:
    assert source_file.startswith(root), (source_file, root)
    return source_file[len(root) :]


def normalised_marts(root: str) -> dict[str, list[tuple]]:
    """Every gaming mart and the served snapshot, with source files relative to ``root``."""
    quarantine = rows("SELECT source_file, line_number, raw, reason FROM gaming.quarantine")
    user_events = rows(
        'SELECT "user", "timestamp", evtname, spend, source_file, line_number FROM gaming.user_events'
    )
    served = sorted(store_rows('SELECT "user", total_spend FROM revenue'))
    return {
        "user": rows('SELECT * FROM gaming."user" ORDER BY ALL'),
        "revenue": rows("SELECT * FROM gaming.revenue ORDER BY ALL"),
        "quarantine": sorted((relative(f, root), n, raw, why) for f, n, raw, why in quarantine),
        "user_events": sorted((*e[:4], relative(e[4], root), e[5]) for e in user_events),
        "served_revenue": served,
    }


def use_fresh_data_dir(path: Path, template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Switch TRIBUTARY_DATA_DIR to a new data dir holding a copy of the built warehouse."""
    path.mkdir()
    shutil.copy(template / "warehouse.duckdb", path / "warehouse.duckdb")
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(path))
    return path


# ---------------------------------------------------------------------------------------------


def test_s3_and_local_landing_give_identical_marts(
    s3, built_data_dir, built_warehouse_template, tmp_path, monkeypatch
):
    local = tmp_path / "local-landing"
    local.mkdir()
    land_everywhere(s3, local)

    # From S3, in the data dir the fixture made.
    monkeypatch.setenv("GAMING_EVENTS_URL", s3.url())
    plan = load()
    assert [f.path for f in plan.pending] == [
        f"{s3.url()}0000.json",
        f"{s3.url()}0001.jsonl",
        f"{s3.url()}2017-12-21/0002.ndjson",
    ]
    assert all(f.fingerprint.startswith("etag:") for f in plan.pending)
    # The location without its trailing slash is the same location (not "landing/gaming-other").
    assert Landing(s3.url().rstrip("/")).list() == Landing(s3.url()).list()
    from_s3 = normalised_marts(s3.url())
    assert from_s3["revenue"] == EXPECTED_REVENUE
    assert [(f, n, why) for f, n, _, why in from_s3["quarantine"]] == EXPECTED_QUARANTINE
    assert len(from_s3["user"]) == 9
    assert from_s3["served_revenue"] == EXPECTED_REVENUE

    # From the local folder, in a second fresh data dir.
    use_fresh_data_dir(tmp_path / "data-local", built_warehouse_template, monkeypatch)
    monkeypatch.setenv("GAMING_EVENTS_URL", str(local))
    plan = load()
    assert [relative(f.path, f"{local}/") for f in plan.pending] == [
        "0000.json",
        "0001.jsonl",
        "2017-12-21/0002.ndjson",
    ]
    from_local = normalised_marts(f"{local}/")

    assert from_local == from_s3


def test_rewritten_object_is_reread_and_new_object_loaded_alone(s3, built_data_dir, monkeypatch):
    monkeypatch.setenv("GAMING_EVENTS_URL", s3.url())
    key0 = f"{s3.url()}0000.json"
    s3.put(
        f"{PREFIX}/0000.json", encode([event("A", spend="1.00"), event("B", spend="5.00"), "junk"])
    )
    first = load()
    assert [f.path for f in first.pending] == [key0] and first.rewritten == []
    assert rows("SELECT * FROM gaming.revenue ORDER BY ALL") == [("A", "1.00"), ("B", "5.00")]
    assert rows("SELECT count(*) FROM gaming.quarantine") == [(1,)]
    assert load().empty  # unchanged object: nothing read

    # Same size, different content: only the ETag tells them apart.
    etag_before = Landing().list()[0].fingerprint
    s3.put(
        f"{PREFIX}/0000.json", encode([event("A", spend="7.00"), event("B", spend="5.00"), "junk"])
    )
    assert Landing().list()[0].fingerprint != etag_before
    second = load()
    assert second.rewritten == [key0]
    assert rows("SELECT * FROM gaming.revenue ORDER BY ALL") == [("A", "7.00"), ("B", "5.00")]

    # Shorter content: the old rows of the object disappear, good and bad alike.
    s3.put(f"{PREFIX}/0000.json", encode([event("A", spend="7.00")]))
    third = load()
    assert third.rewritten == [key0]
    assert rows("SELECT * FROM gaming.revenue") == [("A", "7.00")]
    assert rows('SELECT count(*) FROM gaming."user"') == [(1,)]
    assert rows("SELECT count(*) FROM gaming.quarantine") == [(0,)]
    assert rows("SELECT count(*) FROM gaming_raw.file_loads") == [(3,)]

    # A new object: read alone, the rewritten one is not read again.
    s3.put(f"{PREFIX}/0001.json", encode([event("C", spend="2.50"), event("A", spend="0.01")]))
    fourth = load()
    assert [f.path for f in fourth.pending] == [f"{s3.url()}0001.json"]
    assert fourth.rewritten == [] and fourth.listed == 2
    assert rows(
        "SELECT source_file, count(*) FROM gaming_raw.events WHERE batch_id = ? GROUP BY ALL",
        fourth.batch_ids,
    ) == [(f"{s3.url()}0001.json", 2)]
    assert rows("SELECT * FROM gaming.revenue ORDER BY ALL") == [("A", "7.01"), ("C", "2.50")]
    assert load().empty


@pytest.mark.slow
def test_gaming_refresh_job_from_s3(s3, built_data_dir, monkeypatch):
    import dagster as dg

    for name in FILES:
        s3.put(f"{PREFIX}/{name}", file_bytes(name))
    monkeypatch.setenv("GAMING_EVENTS_URL", s3.url())

    result = run_job("gaming_refresh")

    assert result.success
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {
        dg.AssetKey(["gaming_raw", "events"]),
        dg.AssetKey(["gaming_raw", "quarantine"]),
        dg.AssetKey(["gaming_raw", "files"]),
        dg.AssetKey(["gaming", "revenue"]),
        dg.AssetKey(["gaming", "user"]),
        dg.AssetKey(["gaming", "quarantine"]),
        dg.AssetKey(["serving", "gaming"]),
    } <= materialised
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["lines_reconcile"] is True
    assert all(checks.values()), {k: v for k, v in checks.items() if not v}

    marts = normalised_marts(s3.url())
    assert marts["revenue"] == EXPECTED_REVENUE
    assert marts["served_revenue"] == EXPECTED_REVENUE
    assert [(f, n, why) for f, n, _, why in marts["quarantine"]] == EXPECTED_QUARANTINE
    assert rows("SELECT count(*) FROM gaming_raw.files") == [(3,)]


def test_s3_watcher_lists_only_keys_after_the_last_one_seen(s3):
    from loaders.gaming.watch import S3Watcher

    etag = s3.put(f"{PREFIX}/0000.json", encode([event("A")]))
    s3.put(f"{PREFIX}/_SUCCESS.json", b"")  # a marker: never a candidate
    watcher = S3Watcher(Landing(s3.url()))
    [first] = watcher.changes()
    assert first.path == f"s3://{s3.name}/{PREFIX}/0000.json" and etag in first.fingerprint
    assert watcher.changes() == []  # nothing after 0000.json
    s3.put(f"{PREFIX}/0001.json", encode([event("B")]))
    assert [f.path.rsplit("/", 1)[-1] for f in watcher.changes()] == ["0001.json"]
    # A rewrite sorts before the last key: only the full listing sees it, with its new ETag.
    new_etag = s3.put(f"{PREFIX}/0000.json", encode([event("A", spend="1.00")]))
    assert watcher.changes() == []
    full = {f.path.rsplit("/", 1)[-1]: f.fingerprint for f in watcher.changes(full=True)}
    assert new_etag in full["0000.json"] and set(full) == {"0000.json", "0001.json"}


@pytest.mark.slow
def test_the_gaming_lake_on_s3(s3, built_data_dir, monkeypatch):
    """``GAMING_LAKE_URL=s3://…``: each batch's file is uploaded whole and the two batches
    compacted into one file; the view, the reconciliation and the dbt build read it over S3."""
    from loaders.gaming import pipeline as gaming
    from loaders.lake_storage import configure_s3
    from tests.gaming.helpers import land
    from tributary import warehouse

    monkeypatch.setenv("GAMING_LAKE_URL", f"s3://{s3.name}/lake")
    monkeypatch.setenv("GAMING_FILES_PER_BATCH", "1")
    monkeypatch.setenv("GAMING_COMPACT_MIN_FILES", "2")
    land("0000.json", [event("A", spend="1.00"), "junk"])
    land("0001.json", [event("B", spend="2.50")])
    result = run_job("gaming_refresh")
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    listed = s3.client.list_objects_v2(Bucket=s3.name, Prefix="lake/")["Contents"]
    keys = sorted(o["Key"] for o in listed if o["Key"].endswith(".parquet"))
    placeholders = ["lake/compacted/part-none.parquet", "lake/events/batch_id=none/part-0.parquet"]
    [compacted] = [k for k in keys if k not in placeholders]  # no batch file left
    assert compacted.startswith("lake/compacted/part-") and len(keys) == 3
    with warehouse.connect(read_only=True, lock=False) as con:
        configure_s3(con)
        assert con.execute("SELECT * FROM gaming.revenue ORDER BY ALL").fetchall() == [
            ("A", "1.00"),
            ("B", "2.50"),
        ]
        assert con.execute("SELECT reason FROM gaming.quarantine").fetchall() == [
            ("line is not valid JSON",)
        ]
        assert gaming.reconcile(con).passed
