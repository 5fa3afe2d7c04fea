"""Landing files into the lake: layout, column types, quarantine reasons, exactly once."""

from __future__ import annotations

import json
import os
import uuid

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders import lake_storage
from loaders.events import commit, compaction, files
from loaders.events.lake import Lake
from loaders.events.reconcile import reconcile
from tests.events.helpers import (
    T0,
    event,
    expected_rows,
    lake_rows,
    read_raw_lines,
    write_lines,
)

HOUR = 3_600_000


def land():
    return files.land_files()


def check(batch_ids=None):
    lake = Lake()
    con = lake.connect()
    try:
        return reconcile(lake, con, batch_ids)
    finally:
        con.close()


def test_partition_layout_and_column_types(events_env):
    lines = [
        event("user_created", T0, name="Zoë", favourite_ice_cream="vanilla"),
        event("user_created", T0 + HOUR + 5, nested={"a": [1, 2.5, None]}),
        event("product_viewed", T0 + 59 * 60_000, user=None, price=12.5),
        event("product_viewed", T0 - 1),  # the previous hour, and the previous... same day
        event("product_viewed", T0 - 9 * HOUR),  # 2024-02-29T23
    ]
    write_lines(events_env["landing"], "0001.json", lines)
    load = land()
    assert [b.landed for b in load.batches] == [5]

    lake = events_env["lake"]
    found = sorted(
        str(p.relative_to(lake / "events").parent) for p in (lake / "events").rglob("*.parquet")
    )
    assert found == [
        "event_type=product_viewed/date=2024-02-29/hour=23",
        "event_type=product_viewed/date=2024-03-01/hour=07",
        "event_type=product_viewed/date=2024-03-01/hour=08",
        "event_type=user_created/date=2024-03-01/hour=08",
        "event_type=user_created/date=2024-03-01/hour=09",
    ]
    schema = pq.read_schema(next((lake / "events").rglob("*.parquet")))
    assert {f.name: f.type for f in schema} == {
        "id": pa.string(),
        "type": pa.string(),
        "created_at": pa.timestamp("us"),
        "service": pa.string(),
        "user_id": pa.string(),
        "attributes": pa.string(),
        "meta": pa.string(),
        "batch_id": pa.string(),
        "source": pa.string(),
        "position": pa.int64(),
    }
    raw = [json.dumps(x).encode() for x in lines]
    assert lake_rows(lake) == expected_rows(raw)
    # Attributes are kept losslessly (non-ASCII, nesting, floats and nulls).
    assert check().passed


def test_every_invalid_case_is_quarantined_with_its_reason(events_env):
    good = event()
    ok_id = good["data"]["id"]

    def bad(mutate):
        ev = event()
        mutate(ev)
        return ev

    cases = {
        b"not json at all": "line is not valid JSON",
        b"": "line is empty",
        b"[1, 2]": "line is not a JSON object",
        b'{"data": {"id": "\xff"}}': "line is not valid UTF-8",
        json.dumps(bad(lambda e: e["data"].pop("id"))).encode(): "missing field: data.id",
        json.dumps(bad(lambda e: e["data"].update(id=None))).encode(): "missing field: data.id",
        json.dumps(bad(lambda e: e["data"].update(id=12))).encode(): "data.id is not a string",
        json.dumps(bad(lambda e: e["data"].update(id="evt-1"))).encode(): "data.id is not a UUID",
        json.dumps(bad(lambda e: e["data"].pop("type"))).encode(): "missing field: data.type",
        json.dumps(bad(lambda e: e["data"].update(type=["x"]))).encode(): "data.type is not a string",
        json.dumps(bad(lambda e: e["data"].update(type="../etc"))).encode(): "data.type is not a safe partition name",
        json.dumps(bad(lambda e: e["data"].update(type="a b"))).encode(): "data.type is not a safe partition name",
        json.dumps(bad(lambda e: e["data"].update(type=""))).encode(): "data.type is not a safe partition name",
        json.dumps(bad(lambda e: e["data"].pop("attributes"))).encode(): "missing field: data.attributes",
        json.dumps(bad(lambda e: e["data"].update(attributes="x"))).encode(): "data.attributes is not an object",
        json.dumps(bad(lambda e: e.pop("meta"))).encode(): "missing field: meta",
        json.dumps(bad(lambda e: e.update(meta=[1]))).encode(): "meta is not an object",
        json.dumps(bad(lambda e: e["meta"].pop("created_at"))).encode(): "missing field: meta.created_at",
        json.dumps(bad(lambda e: e["meta"].update(created_at="1709280000000"))).encode(): "meta.created_at is not an integer",
        json.dumps(bad(lambda e: e["meta"].update(created_at=1.5e12))).encode(): "meta.created_at is not an integer",
        json.dumps(bad(lambda e: e["meta"].update(created_at=True))).encode(): "meta.created_at is not an integer",
        json.dumps(bad(lambda e: e["meta"].update(created_at=T0 * 1000))).encode(): "meta.created_at is out of range (2000-01-01 .. 2100-01-01)",
        json.dumps(bad(lambda e: e["meta"].update(created_at=-1))).encode(): "meta.created_at is out of range (2000-01-01 .. 2100-01-01)",
        json.dumps(bad(lambda e: e["meta"].update(created_at=2**63))).encode(): "meta.created_at is out of range (2000-01-01 .. 2100-01-01)",
    }  # fmt: skip
    raw_lines = [json.dumps(good).encode(), *cases]
    (events_env["landing"] / "0001.json").write_bytes(b"\n".join(raw_lines) + b"\n")
    load = land()
    (b,) = load.batches
    assert (b.read, b.landed, b.quarantined, b.duplicates) == (len(raw_lines), 1, len(cases), 0)
    assert [r[0] for r in lake_rows(events_env["lake"])] == [ok_id]

    q = pq.read_table(events_env["lake"] / "quarantine" / f"{b.batch_id}.parquet").to_pylist()
    got = sorted((r["raw"], r["reason"]) for r in q)
    expected = sorted(
        (raw.decode("utf-8", errors="replace") if b"\xff" not in raw else "", reason)
        for raw, reason in cases.items()
    )
    # The undecodable line comes back with DuckDB's replacement text: compare its reason only.
    assert [g for g in got if "UTF-8" not in g[1]] == [e for e in expected if "UTF-8" not in e[1]]
    assert [g[1] for g in got if "UTF-8" in g[1]] == ["line is not valid UTF-8"]
    assert all(r["source"].endswith("0001.json") and r["batch_id"] == b.batch_id for r in q)
    assert check().passed


def test_exactly_once_across_reruns_overlaps_and_rewrites(events_env):
    landing = events_env["landing"]
    first = [event("a", T0 + i * 1000, user=f"u{i}") for i in range(6)]
    write_lines(landing, "0001.json", [*first, first[0]])  # a duplicate inside the file
    one = land()
    assert (one.batches[0].landed, one.batches[0].duplicates_in_batch) == (6, 1)

    assert land().batches == []  # nothing pending: a re-run reads nothing

    # An overlapping file: three events already landed and two new ones.
    second = [event("a", T0 + 10_000 + i, user="x") for i in range(2)]
    write_lines(landing, "0002.json", [*first[3:], *second])
    two = land()
    assert (two.batches[0].landed, two.batches[0].duplicates_in_lake) == (2, 3)

    # A rewritten file (new fingerprint) is read again; all of it is already there but one.
    third = event("b", T0, user="y")
    write_lines(landing, "0001.json", [*first, third])
    os.utime(landing / "0001.json", (1, 1))
    three = land()
    assert (three.batches[0].read, three.batches[0].landed) == (7, 1)

    rows = lake_rows(events_env["lake"])
    assert len(rows) == len({r[0] for r in rows}) == 9
    assert rows == expected_rows(read_raw_lines(landing) + [json.dumps(e).encode() for e in first])
    assert check().passed


def test_a_crash_before_the_commit_record_duplicates_nothing(events_env, monkeypatch):
    landing = events_env["landing"]
    lines = [event(t, T0 + i * HOUR // 3, user=f"u{i}") for i, t in enumerate("abcabcabc")]
    write_lines(landing, "0001.json", [*lines, "junk"])

    # Crash 1: half the partition files renamed into place, then the process dies.
    real_replace = os.replace
    calls = {"n": 0}

    def dying_replace(src, dst):
        calls["n"] += 1
        if str(dst).endswith(".parquet") and calls["n"] > 2:
            raise KeyboardInterrupt("killed mid-publish")
        return real_replace(src, dst)

    monkeypatch.setattr(lake_storage.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        land()
    monkeypatch.setattr(lake_storage.os, "replace", real_replace)
    assert 0 < len(lake_rows(events_env["lake"])) < 9

    # Crash 2: every file published, the commit record never written.
    real_write_json = Lake.write_json

    def no_record(self, rel, payload):
        if rel.startswith("_batches/"):
            raise KeyboardInterrupt("killed before the commit record")
        return real_write_json(self, rel, payload)

    monkeypatch.setattr(Lake, "write_json", no_record)
    with pytest.raises(KeyboardInterrupt):
        land()
    monkeypatch.setattr(Lake, "write_json", real_write_json)
    assert len(lake_rows(events_env["lake"])) == 9

    # The re-run: same batch id, its leftovers replaced, every id exactly once.
    load = land()
    (b,) = load.batches
    assert (b.read, b.landed, b.quarantined, b.duplicates) == (10, 9, 1, 0)
    rows = lake_rows(events_env["lake"])
    assert rows == expected_rows(read_raw_lines(landing))
    assert check().passed
    assert not list(events_env["lake"].rglob("*.tmp"))


def test_compaction_merges_small_files_and_survives_a_crash(events_env, monkeypatch):
    landing = events_env["landing"]
    monkeypatch.setenv("EVENTS_COMPACT_MIN_FILES", "1000")  # no compaction while landing
    for n in range(6):
        write_lines(landing, f"{n:04d}.json", [event("a", T0 + n), event("b", T0 + n)])
        land()
    partition = events_env["lake"] / "events/event_type=a/date=2024-03-01/hour=08"
    assert len(list(partition.glob("*.parquet"))) == 6
    before = lake_rows(events_env["lake"])

    lake = Lake()
    con = lake.connect()
    real_delete = Lake.delete_uris

    def die_on_delete(self, uris):
        raise KeyboardInterrupt("killed between publish and delete")

    monkeypatch.setattr(Lake, "delete_uris", die_on_delete)
    with pytest.raises(KeyboardInterrupt):
        compaction.compact(lake, con, None, min_files=4)
    monkeypatch.setattr(Lake, "delete_uris", real_delete)
    # The crash left the merged file beside its inputs, and the journal says so.
    assert len(list(partition.glob("*.parquet"))) == 7
    assert compaction.recover(lake) == 1
    assert len(list(partition.glob("*.parquet"))) == 1
    stats = compaction.compact(lake, con, None, min_files=4)
    assert stats["partitions_compacted"] == 1  # partition b
    assert compaction.compact(lake, con, None, min_files=4)["partitions_compacted"] == 0
    con.close()
    assert lake_rows(events_env["lake"]) == before
    assert check().passed  # batch ids survive compaction


def test_hour_backfill_lands_only_what_is_missing_of_that_hour(events_env):
    from datetime import datetime

    landing = events_env["landing"]
    lines = [event("a", T0 + i * HOUR // 2) for i in range(6)]  # hours 08, 08, 09, 09, 10, 10
    write_lines(landing, "0001.json", lines)
    land()
    victim = events_env["lake"] / "events/event_type=a/date=2024-03-01/hour=09"
    for f in victim.glob("*.parquet"):
        f.unlink()  # an hour lost
    (result,) = files.land_hour(datetime(2024, 3, 1, 9))
    assert (result.read, result.landed, result.out_of_scope) == (6, 2, 4)
    assert lake_rows(events_env["lake"]) == expected_rows(read_raw_lines(landing))
    (again,) = files.land_hour(datetime(2024, 3, 1, 9))
    assert (again.landed, again.duplicates) == (0, 2)


def test_pruning_reads_only_the_partition_asked_for(events_env):
    lines = [
        event(t, T0 + h * HOUR + i, user=f"u{i}")
        for t in ("a", "b", "c")
        for h in range(4)
        for i in range(3)
    ]
    write_lines(events_env["landing"], "0001.json", lines)
    land()
    lake = Lake()
    glob = lake.events_glob
    con = duckdb.connect()
    plan = con.execute(
        f"""
        EXPLAIN ANALYZE
        SELECT count(*), count(DISTINCT user_id)
        FROM read_parquet('{glob}', hive_partitioning = true, hive_types_autocast = false)
        WHERE event_type = 'b' AND date = '2024-03-01' AND hour = '10'
        """
    ).fetchall()[0][1]
    total = len(list((events_env["lake"] / "events").rglob("*.parquet")))
    assert total == 12
    assert "Total Files Read: 1" in plan, plan
    assert f"Scanning Files: 1/{total}" in plan.replace("│", "").replace("\n", "").replace(
        " ", ""
    ).replace("ScanningFiles:", "Scanning Files: ")
    assert con.execute(
        f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true, "
        "hive_types_autocast = false) WHERE event_type = 'b' AND hour = '10'"
    ).fetchone() == (3,)
    con.close()


def test_random_ids_are_case_insensitive(events_env):
    u = str(uuid.uuid4())
    write_lines(events_env["landing"], "0001.json", [event(id_=u), event(id_=u.upper())])
    (b,) = land().batches
    assert (b.landed, b.duplicates_in_batch) == (1, 1)


def test_pipelined_batches_see_the_batch_published_before_them(events_env, monkeypatch):
    """One run, several batches: batch n+1 is validated while batch n is being written, but
    its duplicate check waits for batch n's publication, so an id shared by both lands once."""
    landing = events_env["landing"]
    shared = [event("a", T0 + i, user=f"s{i}") for i in range(20)]
    for n in range(4):
        own = [event("a", T0 + 1000 * n + i, user=f"o{n}") for i in range(5)]
        write_lines(landing, f"{n:04d}.json", [*shared, *own])
    slow_publish = commit.publish

    def publish_slowly(lake, prepared):  # widen the window in which batches overlap
        import time

        time.sleep(0.3)
        return slow_publish(lake, prepared)

    monkeypatch.setattr(files, "publish", publish_slowly)
    load = files.land_files(max_bytes=1)  # one file per batch
    assert [b.landed for b in load.batches] == [25, 5, 5, 5]
    assert [b.duplicates_in_lake for b in load.batches] == [0, 20, 20, 20]
    rows = lake_rows(events_env["lake"])
    assert len(rows) == len({r[0] for r in rows}) == 40
    assert rows == expected_rows(read_raw_lines(landing))
    assert check().passed
