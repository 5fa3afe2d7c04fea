"""The contract of a file-fed domain, and the one load every entry point runs.

A domain whose input is files landing in a folder or bucket (gaming, players, the commerce
view files) declares a :class:`FileDomain`: its dataset, dlt source, plan / reconcile /
publish functions and the marts its snapshot serves. :func:`load_once` is the load itself
(data dir pinned → warehouse lock → plan → dlt run or the domain's own writer → reconcile →
publish → report), used by ``python -m loaders.<domain>`` (:func:`cli`), the Dagster assets
and sensors built from the spec (``orchestration.lib.domain``) and the tests. Nothing here
needs Dagster.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import duckdb
from dlt.pipeline.pipeline import Pipeline

from loaders.batched_load import LoadPlan, LoadReport, report
from loaders.incremental_files import Landing
from tributary import warehouse


class Reconciled(Protocol):
    """A reconciliation's outcome: ``passed``, and its counts as plain fields."""

    @property
    def passed(self) -> bool: ...


@dataclass(frozen=True)
class FileDomain:
    """What a file-fed domain declares; every entry point derives the rest from it."""

    name: str  # the domain: Dagster group, dbt tag, serving/<name>, run tag prefix
    dataset: str  # the raw schema dlt loads into (and the dlt asset's name)
    pipeline: Callable[[], Pipeline]  # the dlt pipeline into the warehouse
    source: Callable[..., object]  # dlt source over parsed batches; bare: typed empty tables
    landing: Callable[[str | None], Landing]  # the landing location (URL: None for the default)
    plan: Callable[[Landing, int | None], LoadPlan]  # (landing, max_files), under the lock
    reconcile: Callable[[duckdb.DuckDBPyConnection, list[str] | None], Reconciled]
    publish: Callable[[duckdb.DuckDBPyConnection | None], Path | None]  # the serving snapshot
    rows_table: str = "events"  # the raw table of valid rows (its asset carries the check)
    served_marts: Sequence[str] = ()  # "schema/table" of the marts the snapshot copies
    # metadata of the serving/<name> asset after a publish (None: the snapshot's row counts)
    served_metadata: Callable[[], dict] | None = None
    served_description: str | None = None  # of serving/<name> (None: the snapshot's)
    # The marts are views over the raw tables: a load alone makes the snapshot current, so the
    # CLI and the near-real-time sensor publish right after loading (else dbt build comes first).
    serve_after_load: bool = False
    # Writes a plan's batches into the warehouse itself instead of handing them to dlt
    # (``publish``: also bring the serving store along from the same parse); None: dlt runs.
    write: Callable[[LoadPlan, bool], None] | None = None
    check_name: str = "lines_reconcile"
    check_description: str = ""
    description: str = ""  # what the load reads (the dlt asset's description)


@dataclass
class LoadResult:
    plan: LoadPlan
    report: LoadReport
    reconciliation: Reconciled | None = None
    published: Path | None = None


def _run(pipeline: Pipeline, plan: LoadPlan) -> None:
    pipeline.run(plan.source())


def load_once(
    spec: FileDomain,
    *,
    url: str | None = None,
    max_files: int | None = None,
    lock_timeout: float | None = warehouse.LOCK_TIMEOUT_SECONDS,
    only_if_pending: bool = False,
    check: bool = True,
    publish: bool | None = None,
    run: Callable[[Pipeline, LoadPlan], None] = _run,
    progress: bool | None = None,
) -> LoadResult:
    """Load what is pending in ``url`` (default: the domain's landing) once, under the lock.

    ``only_if_pending`` returns right after planning when nothing is pending (a sensor tick);
    otherwise dlt runs even on an empty listing, so the raw tables exist. ``check``
    reconciles the batches read; ``publish`` (default: ``spec.serve_after_load``) writes the
    serving snapshot; ``run`` hands the plan to dlt (Dagster's resource replaces it) unless
    the domain writes its batches itself (``spec.write``); progress
    is shown on a terminal (``None``: when stderr is a TTY). Raises ``WarehouseBusy`` when the
    lock is not free within ``lock_timeout``.
    """
    started = time.perf_counter()
    publish = spec.serve_after_load if publish is None else publish
    with warehouse.locked(lock_timeout):
        plan = spec.plan(spec.landing(url), max_files)
        if plan.empty and only_if_pending:
            return LoadResult(plan, report(plan, started))
        with plan.progress(f"{spec.name}: loading", enabled=progress):
            if spec.write is not None:
                spec.write(plan, publish)
            else:
                run(spec.pipeline(), plan)
        reconciliation = published = None
        if check or publish:
            with warehouse.connect(lock=False) as con:
                reconciliation = spec.reconcile(con, plan.batch_ids) if check else None
                published = spec.publish(con) if publish else None
    return LoadResult(plan, report(plan, started), reconciliation, published)


def cli(spec: FileDomain, description: str, argv: Sequence[str] | None = None) -> int:
    """``python -m loaders.<domain>``: one load, its report as JSON; non-zero when the
    reconciliation fails."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", help="landing URL (default: the domain's setting or data dir)")
    parser.add_argument("--max-files", type=int, default=None)
    args = parser.parse_args(argv)
    result = load_once(spec, url=args.url, max_files=args.max_files)
    passed = result.reconciliation.passed
    print(json.dumps({**asdict(result.report), "reconciled": passed}))
    return 0 if passed else 1
