"""The players loader on its own: structural quarantine at load, incremental by file, rewritten
files re-read, the time-zone file, and the reconciliation."""

from __future__ import annotations

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from loaders.file_domain import load_once
from loaders.lake_storage import configure_s3
from loaders.players import pipeline as players
from loaders.players.lake import PlayersLake
from tests.conftest import s3_client_for
from tests.players.helpers import land, land_timezones, ping, rows
from tests.spark_engine import dbt_subprocess
from tributary import warehouse
from tributary.duck import extension_directory


def _load() -> players.LoadPlan:
    return load_once(players.DOMAIN).plan


def _reconciles() -> players.Reconciliation:
    with warehouse.connect(read_only=True, lock=False) as con:
        return players.reconcile(con)


def test_structurally_invalid_lines_are_quarantined_at_load(data_dir):
    land_timezones({"US": "America/New_York", "XX": "Not/AZone", "": "Europe/Paris"})
    land("0000.jsonl", [ping(1, 100, "a"), "{not json", "", "[1]", '"text"', ping(2, 160, "a")])
    (data_dir / "landing" / "players" / "0001.jsonl").write_bytes(b'{"a": "\xff"}\n')
    plan = _load()
    assert (plan.lines_read, plan.valid) == (7, 2)
    lake = PlayersLake().url
    quarantined = f"SELECT line_number, reason FROM '{lake}/quarantine/*.parquet' ORDER BY ALL"
    assert rows(quarantined) == [
        (1, "line is not valid UTF-8"),
        (2, "line is not valid JSON"),
        (3, "line is empty"),
        (4, "line is not a JSON object"),
        (5, "line is not a JSON object"),
    ]
    assert rows(f"SELECT * FROM '{lake}/timezones/*.parquet'") == [("US", "America/New_York")]
    check = _reconciles()
    assert check.passed and check.lines_read == 7


def test_only_new_or_rewritten_files_are_read(data_dir):
    land("0000.jsonl", [ping(1, 100, "a")])
    assert len(_load().pending) == 1
    assert _load().empty  # nothing new: nothing read
    land("0001.jsonl", [ping(2, 100, "b")])
    plan = _load()
    assert [p.rsplit("/", 1)[-1] for p in (f.path for f in plan.pending)] == ["0001.jsonl"]
    land("0000.jsonl", [ping(1, 100, "a"), ping(3, 160, "a")])  # rewritten, longer
    plan = _load()
    assert len(plan.rewritten) == 1
    # the manifest points at the batch holding each file's current content
    assert rows(
        f"SELECT count(*) FROM {_lake_events()} e JOIN players_raw.files f "
        "USING (source_file, batch_id)"
    ) == [(3,)]
    assert _reconciles().passed


def _lake_events() -> str:
    return f"read_parquet('{PlayersLake().events_glob}', hive_partitioning = true)"


def test_valid_lines_land_in_the_lake_by_day_and_batch(data_dir):
    day = 86_400
    land("0000.jsonl", [ping(1, 100, "a"), ping(2, day + 5, "a"), '{"event_timestamp": "x"}'])
    batch = _load().batch_ids[0]
    lake = PlayersLake()
    assert lake.url == str(data_dir / "lake" / "players")
    assert sorted(lake.read_json(f"_batches/{batch}.json")["files"]) == [
        f"events/event_date=1970-01-01/batch_id={batch}/part-0.parquet",
        f"events/event_date=1970-01-02/batch_id={batch}/part-0.parquet",
        f"events/event_date=__HIVE_DEFAULT_PARTITION__/batch_id={batch}/part-0.parquet",
        f"loads/part-{batch}.parquet",
    ]
    assert rows(f"SELECT line_number, batch_id FROM {_lake_events()} ORDER BY line_number") == [
        (1, batch),
        (2, batch),
        (3, batch),
    ]
    assert not rows(
        "SELECT * FROM information_schema.tables WHERE table_name = 'events' "
        "AND table_schema = 'players_raw'"
    )


def test_a_load_that_crashes_after_writing_the_lake_lands_nothing_twice(data_dir, monkeypatch):
    """A batch whose load record never landed is invisible (dbt reads the records); one whose
    warehouse manifest never committed is pending again: the next load deletes its lake files
    (record first) and lands the file again as a new batch."""
    land("0000.jsonl", [ping(1, 100, "a"), ping(2, 160, "a"), "junk"])
    real_write = PlayersLake.write_batch

    def write_then_die(self, batch_id, *tables):
        real_write(self, batch_id, *tables)
        raise KeyboardInterrupt("killed after the lake write")

    monkeypatch.setattr(PlayersLake, "write_batch", write_then_die)
    with pytest.raises((KeyboardInterrupt, PipelineStepFailed)):
        _load()
    monkeypatch.setattr(PlayersLake, "write_batch", real_write)
    lake = PlayersLake()
    [orphan] = lake.journaled_batches()
    assert rows(f"SELECT count(*) FROM {_lake_events()}") == [(2,)]  # written, not committed
    assert lake.committed_batches() == {orphan}  # in the lake, not in the warehouse manifest

    plan = _load()
    assert plan.batch_ids and lake.journaled_batches() == plan.batch_ids
    assert orphan not in plan.batch_ids and lake.committed_batches() == set(plan.batch_ids)
    assert rows(f"SELECT line_number FROM {_lake_events()} ORDER BY 1") == [(1,), (2,)]
    check = _reconciles()
    assert check.passed and (check.lines_read, check.events_landed) == (3, 2)


@pytest.mark.slow
def test_an_s3_lake_lands_reconciles_and_feeds_dbt(data_dir, moto_endpoint, monkeypatch):
    """``PLAYERS_LAKE_URL=s3://…`` (moto's S3 server): the batch's files are uploaded whole,
    the reconciliation counts them on S3, and dbt's staging reads them there (DuckDB httpfs)."""
    client = s3_client_for(moto_endpoint, monkeypatch)
    client.create_bucket(Bucket="players-lake")
    monkeypatch.setenv("PLAYERS_LAKE_URL", "s3://players-lake/lake")
    land("0000.jsonl", [ping(1, 100, "a"), ping(2, 86_400 + 5, "b"), "junk"])
    [batch] = _load().batch_ids
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket="players-lake")["Contents"])
    assert keys == [
        f"lake/_batches/{batch}.json",
        f"lake/events/event_date=1970-01-01/batch_id={batch}/part-0.parquet",
        f"lake/events/event_date=1970-01-02/batch_id={batch}/part-0.parquet",
        f"lake/loads/part-{batch}.parquet",
        f"lake/quarantine/part-{batch}.parquet",
        "lake/timezones/timezones.parquet",
    ]
    check = _reconciles()
    assert check.passed and (check.lines_read, check.events_landed) == (3, 2)
    env = {
        "TRIBUTARY_DATA_DIR": str(data_dir),
        "TRIBUTARY_DUCKDB_EXTENSIONS": extension_directory(),
    }
    dbt_subprocess(env, "run", "--select", "stg_players__events")
    with warehouse.connect(read_only=True, lock=False) as con:
        configure_s3(con)  # the view reads S3: a secret in this connection too
        staged = con.execute(
            "SELECT line_number, user_id FROM staging.stg_players__events ORDER BY 1"
        ).fetchall()
    assert staged == [(1, "a"), (2, "b")]


def test_a_data_dir_older_than_the_load_records_asks_for_a_reset(data_dir):
    """Loaded batches without a load record in the lake (a data dir from before the records,
    or another lake): the next load stops with what to do instead of serving nothing."""
    land("0000.jsonl", [ping(1, 100, "a")])
    [batch] = _load().batch_ids
    PlayersLake().delete(f"loads/part-{batch}.parquet")
    land("0001.jsonl", [ping(2, 100, "b")])
    with pytest.raises(RuntimeError, match=r"no load record for 1 loaded batches.*Reset"):
        _load()
