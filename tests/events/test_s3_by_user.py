"""The user layout on an S3 lake (moto's standalone server over HTTP): maintained from the
lake's commit records like a local one, and read back page by page through httpfs."""

from __future__ import annotations

import uuid

import pytest

from loaders.events import by_user, files
from loaders.events.history import After, HistoryReader
from loaders.events.lake import Lake
from tests.conftest import s3_client_for
from tests.events.helpers import T0, event, write_lines

pytestmark = pytest.mark.slow  # a moto S3 server


def test_user_layout_on_s3_is_maintained_incrementally_and_paginates(
    events_env, moto_endpoint, monkeypatch
):
    client = s3_client_for(moto_endpoint, monkeypatch)
    name = f"tributary-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    monkeypatch.setenv("EVENTS_LAKE_URL", f"s3://{name}/lake")
    monkeypatch.setenv("EVENTS_BY_USER_BUCKETS", "4")
    users = ["u1", "u2", "Zoë"]
    first = [event("page_viewed", T0 + k * 1000, user=users[k % 3], k=k) for k in range(30)]
    write_lines(events_env["landing"], "0001.json", [*first, event("tick", T0, user=None)])
    files.land_files()
    done = by_user.maintain()
    assert (done.batches_applied, done.rows_applied) == (1, 30)
    lake = Lake()
    keys = {
        o["Key"] for o in client.list_objects_v2(Bucket=name, Prefix="lake/by_user/")["Contents"]
    }
    assert "lake/by_user/_manifest.json" in keys and len(keys) == 1 + done.delta_files

    second = [event("page_viewed", T0 + 100_000 + k, user="Zoë", k=100 + k) for k in range(5)]
    write_lines(events_env["landing"], "0002.json", second)
    files.land_files()
    assert by_user.maintain().batches_applied == 1
    assert by_user.maintain().batches_applied == 0  # idempotent

    reader = HistoryReader(f"s3://{name}/lake")
    want = sorted(
        (e for e in [*first, *second] if e["data"]["attributes"]["user_id"] == "Zoë"),
        key=lambda e: (e["meta"]["created_at"], e["data"]["id"]),
        reverse=True,
    )
    got, after = [], None
    while page := reader.page("Zoë", 4, after):
        got.extend(page)
        after = After(page[-1].created_ms, page[-1].id)
    assert [r.id for r in got] == [e["data"]["id"] for e in want]
    assert reader.page("nobody", 10) == []
    assert by_user.read_manifest(lake).buckets == 4
