"""The lake on S3 (moto's standalone server over HTTP) and the KPI command against it.

The same input landed from S3 into an S3 lake and from a folder into a local lake gives the
same rows; ``python -m loaders.events kpis`` computes the daily KPIs straight from the S3 lake
(no warehouse) and matches answers computed in plain Python from the raw lines.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loaders.events import files
from simulation.events.generator import write_events
from tests.conftest import REPO, s3_client_for
from tests.events.helpers import (
    expected_lake,
    expected_rows,
    lake_rows,
    partition_of,
    read_raw_lines,
)

pytestmark = pytest.mark.slow  # a moto S3 server, two lakes and a KPI subprocess


@pytest.fixture
def bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    client = s3_client_for(moto_endpoint, monkeypatch)
    name = f"tributary-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return client, name


def download(client, bucket: str, prefix: str, target: Path) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            path = target / obj["Key"][len(prefix) :]
            path.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, obj["Key"], str(path))


def python_kpis(raw: list[bytes], day: str) -> dict:
    events = [e for e in expected_lake(raw).values() if partition_of(e)[1] == day]
    types = Counter(e["type"] for e in events)
    users = [
        e["attributes"]["user_id"] for e in events if e["attributes"].get("user_id") is not None
    ]
    return {
        "events": len(events),
        "event_types": len(types),
        "active_users": len(set(users)),
        "products_sold": types["product_sold"],
        "product_favorites": types["product_favorited"],
        "product_contacts": types["product_contacted"],
        "new_users": types["user_created"],
        # Rounded half away from zero, as SQL's round() does (Python's round() is half-even).
        "events_per_active_user": math.floor(len(users) / len(set(users)) * 100 + 0.5) / 100
        if users
        else None,
        "top_types": [
            {"event_type": t, "events": n}
            for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        ],
    }


def run_kpis(day: str, lake: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "loaders.events", "kpis", "--date", day, "--lake", lake],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_s3_lake_matches_local_lake_and_kpis_from_s3(events_env, bucket, tmp_path, monkeypatch):
    client, name = bucket
    local_landing = events_env["landing"]
    # Two hours around midnight: two days, so the KPI of one day must not count the other.
    write_events(
        local_landing, events=60, files=2, hours=2, users=20,
        start=datetime(2024, 3, 1, 23, tzinfo=UTC), defect_rate=0.03, duplicate_rate=0.1,
    )  # fmt: skip
    raw = read_raw_lines(local_landing)
    for path in sorted(local_landing.glob("*.json")):
        client.upload_file(str(path), name, f"landing/{path.name}")

    local = files.land_files()
    monkeypatch.setenv("EVENTS_URL", f"s3://{name}/landing/")
    monkeypatch.setenv("EVENTS_LAKE_URL", f"s3://{name}/lake")
    remote = files.land_files()
    assert [b.read for b in remote.batches] == [b.read for b in local.batches]
    assert files.land_files().batches == []  # committed on S3: nothing pending

    mirror = tmp_path / "mirror"
    download(client, name, "lake/", mirror)
    assert lake_rows(mirror) == lake_rows(events_env["lake"]) == expected_rows(raw)
    assert sorted(p.name for p in (mirror / "_batches").iterdir()) == sorted(
        f"{b.batch_id}.json" for b in remote.batches
    )

    for day in ("2024-03-01", "2024-03-02"):
        got = run_kpis(day, f"s3://{name}/lake")
        want = python_kpis(raw, day)
        assert {k: got[k] for k in want} == want
        assert got["files_read"] == len(list((mirror / "events").glob(f"*/date={day}/*/*.parquet")))
    assert run_kpis("2024-03-05", f"s3://{name}/lake")["events"] == 0
