"""One incremental load of player events, usable from Dagster or on its own.

``plan_load`` (under the warehouse lock) compares the landing listing with
``players_raw.files`` and reads only new or rewritten files (and the time-zone file, which is
small and replaced every load); the caller hands the batch to dlt. The marts are dbt tables,
so ``publish_serving`` is called after ``dbt build`` (the ``serving/players`` asset).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from loaders import incremental_files
from loaders.common import warehouse_pipeline
from loaders.incremental_files import Reconciliation
from loaders.players.landing import LandedFile, Landing, events_landing, read_timezones
from loaders.players.parsing import parse_timezones
from loaders.players.source import ParsedBatch, parse_batch
from tributary import serving

PIPELINE_NAME = "players_events"
DATASET = "players_raw"

# What the API serves: the daily marts ordered by user for point lookups.
SERVED_TABLES = [
    serving.ServedTable(
        "players", "registration_data", "SELECT * FROM players.registration_data", "user_id"
    ),
    serving.ServedTable(
        "players", "session_data", "SELECT * FROM players.session_data", "user_id, date"
    ),
    serving.ServedTable(
        "players", "match_data", "SELECT * FROM players.match_data", "user_id, date"
    ),
    serving.ServedTable("players", "game_stats", "SELECT * FROM players.game_stats", "stats_date"),
]


@dataclass
class LoadPlan:
    batch: ParsedBatch
    pending: list[LandedFile]
    known_files: int
    rewritten: list[str]
    listed: int

    @property
    def empty(self) -> bool:
        return not self.pending


def pipeline():
    return warehouse_pipeline(PIPELINE_NAME, DATASET)


def loaded_manifest(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """source_file → fingerprint of the content currently loaded."""
    return incremental_files.loaded_manifest(DATASET, con)


def pending_files(landing: Landing, manifest: dict[str, str]) -> list[LandedFile]:
    return [f for f in landing.list() if manifest.get(f.path) != f.fingerprint]


def plan_load(landing: Landing | None = None, max_files: int | None = None) -> LoadPlan:
    """List, diff against the manifest, read and split what is new. Caller holds the lock."""
    landing = landing or events_landing()
    listed = landing.list()
    manifest = loaded_manifest()
    pending = [f for f in listed if manifest.get(f.path) != f.fingerprint]
    if max_files is not None:
        pending = pending[:max_files]
    rewritten = [f.path for f in pending if f.path in manifest]
    timezones = parse_timezones(read_timezones()[0])
    if pending:
        batch = parse_batch(pending, landing.read(pending), timezones)
    else:
        batch = ParsedBatch.empty(timezones)
    return LoadPlan(batch, pending, len(manifest), rewritten, len(listed))


def pending_key(files: list[LandedFile], timezones_fingerprint: str) -> str:
    """A stable key for a set of pending files (the sensor's run key)."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        digest.update(f"{f.path}\0{f.fingerprint}\n".encode())
    digest.update(timezones_fingerprint.encode())
    return digest.hexdigest()[:32]


def publish_serving(warehouse: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Copy the players marts into a fresh serving snapshot. Caller holds the lock."""
    return serving.publish_if_built("players", SERVED_TABLES, warehouse)


@dataclass
class LoadReport:
    batch_id: str
    files: int
    rewritten: int
    lines_read: int
    valid: int
    quarantined: int
    seconds: float


def report(plan: LoadPlan, started: float) -> LoadReport:
    b = plan.batch
    return LoadReport(
        batch_id=b.batch_id,
        files=len(plan.pending),
        rewritten=len(plan.rewritten),
        lines_read=b.lines_read,
        valid=b.events.num_rows,
        quarantined=b.quarantine.num_rows,
        seconds=round(time.perf_counter() - started, 3),
    )


def reconcile(con: duckdb.DuckDBPyConnection) -> Reconciliation:
    """For each load (batch, file): lines read = valid + quarantined, and exactly that many
    rows are in ``events`` and ``quarantine``."""
    return incremental_files.reconcile(con, DATASET)
