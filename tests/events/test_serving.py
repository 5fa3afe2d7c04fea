"""The events serving endpoints over real HTTP (uvicorn subprocess) after the real refresh job
(land → user layout → dbt marts → SQLite snapshot): per-user daily stats against a
hand-computed series, each user's history paginated while events arrive, bad input, and the
user layout kept up to date incrementally and idempotently."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from loaders.events import by_user, files
from loaders.events.lake import Lake
from tests.conftest import run_job, running_api
from tests.events.helpers import event, lake_rows, write_lines

TODAY = "2024-03-10"


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


def contact(user: str, product: str, owner: str, at: str) -> dict:
    return event("conversation_started", ms(at), user=user, product_id=product, owner_id=owner)


def like(user: str, product: str, owner: str, at: str) -> dict:
    return event("product_liked", ms(at), user=user, product_id=product, owner_id=owner)


def sold(seller: str, product: str, buyer: str, at: str) -> dict:
    return event("product_sold", ms(at), user=seller, product_id=product, buyer_id=buyer)


STATS_EVENTS = [
    # A contacts p1 one millisecond before midnight (9 March) and again at midnight (10 March),
    # p2 twice on 10 March: 1 product on the 9th, 2 on the 10th.
    contact("A", "p1", "B", "2024-03-09T23:59:59.999"),
    contact("A", "p1", "B", "2024-03-10T00:00:00.000"),
    contact("A", "p2", "B", "2024-03-10T00:00:00.001"),
    contact("A", "p2", "B", "2024-03-10T05:00:00"),
    # A's products liked: once on the 10th, once on the first day of a 90-day window
    # (2023-12-12) and once the millisecond before it (outside).
    like("C", "p7", "A", "2024-03-10T12:00:00"),
    like("B", "p8", "A", "2023-12-12T00:00:00"),
    like("B", "p8", "A", "2023-12-11T23:59:59.999"),
    # A likes B's product: counts for B, not A. A sells p7 on the 8th.
    like("A", "p1", "B", "2024-03-10T13:00:00"),
    sold("A", "p7", "C", "2024-03-08T10:00:00"),
    # Q is only ever an owner (contacted about a product): known, no figures.
    contact("C", "p9", "Q", "2024-01-05T10:00:00"),
    event("product_impression", ms("2024-03-10T09:00:00"), user="A", product_id="p3"),
]


def zeros(date: str) -> dict:
    return {"date": date, "products_contacted": 0, "favourited": 0, "products_sold": 0}


def history_events(n: int, start: str, user: str = "H") -> list[dict]:
    """``n`` events of ``user`` one minute apart from ``start``, of three types, with
    attributes that must come back exactly as landed (Unicode, big numbers, nesting)."""
    kinds = ["page_viewed", "product_impression", "message_sent"]
    out = []
    for k in range(n):
        at = ms(start) + k * 60_000
        out.append(
            event(
                kinds[k % 3],
                at,
                user=user,
                n=k,
                big=12345678901234567890,
                text="Ñandú «ok»",
                nested={"a": [1, 2.5, None]},
            )
        )
    # Two events at the same millisecond: the id breaks the tie.
    out.append(event("page_viewed", ms(start) + 5 * 60_000, user=user, n=-1))
    return out


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    data = tmp_path_factory.mktemp("events_serving") / "data"
    landing, lake = data / "landing" / "events", data / "lake" / "events"
    landing.mkdir(parents=True)
    history = history_events(25, "2024-03-09T10:00:00")
    write_lines(landing, "0001.json", [*STATS_EVENTS, *history])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRIBUTARY_DATA_DIR", str(data))
        mp.setenv("EVENTS_URL", str(landing))
        mp.setenv("EVENTS_LAKE_URL", str(lake))
        mp.setenv("EVENTS_STATS_TODAY", TODAY)
        for var in ("EVENTS_NATS_URL", "AWS_ENDPOINT_URL", "EVENTS_BATCH_BYTES"):
            mp.delenv(var, raising=False)
        result = run_job("events_refresh")
        assert result.success
        with (
            running_api(data, timeout=120) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            yield {
                "client": client,
                "data": data,
                "landing": landing,
                "lake": lake,
                "history": history,
            }


def stats(client: httpx.Client, user: str, days: int) -> dict:
    r = client.get(f"/events/users/{user}/stats", params={"days": days})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.slow
def test_stats_against_a_hand_computed_series(served):
    client = served["client"]
    body = stats(client, "A", 3)
    assert body == {
        "user_id": "A",
        "days": 3,
        "series": [
            {"date": "2024-03-08", "products_contacted": 0, "favourited": 0, "products_sold": 1},
            {"date": "2024-03-09", "products_contacted": 1, "favourited": 0, "products_sold": 0},
            {"date": "2024-03-10", "products_contacted": 2, "favourited": 1, "products_sold": 0},
        ],
        "totals": {"products_contacted": 3, "favourited": 1, "products_sold": 1},
    }
    one = stats(client, "A", 1)
    assert one["series"] == [body["series"][-1]] and one["totals"] == {
        "products_contacted": 2,
        "favourited": 1,
        "products_sold": 0,
    }
    ninety = stats(client, "A", 90)
    series = ninety["series"]
    assert len(series) == 90 and series[0]["date"] == "2023-12-12"
    assert series[-1]["date"] == TODAY
    assert [d["date"] for d in series] == sorted(d["date"] for d in series)
    assert series[0] == {**zeros("2023-12-12"), "favourited": 1}  # not the one a ms earlier
    assert series[-3:] == body["series"]
    assert all(d == zeros(d["date"]) for d in series[1:-3])
    assert ninety["totals"] == {"products_contacted": 3, "favourited": 2, "products_sold": 1}
    # A's like of B's product counts for B (owner), on the 10th.
    assert stats(client, "B", 1)["totals"] == {
        "products_contacted": 0,
        "favourited": 1,
        "products_sold": 0,
    }


@pytest.mark.slow
def test_unknown_user_is_404_and_an_owner_only_user_has_zeros(served):
    client = served["client"]
    r = client.get("/events/users/nobody/stats")
    assert r.status_code == 404
    assert r.json() == {"error": {"field": "user_id", "reason": "unknown user"}}
    assert client.get("/events/users/nobody/events").status_code == 404
    q = stats(client, "Q", 90)
    assert q["totals"] == {"products_contacted": 0, "favourited": 0, "products_sold": 0}
    assert client.get("/events/users/Q/events").json()["events"] == []  # no events of its own


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/events/users/A/stats", {"days": 0}, "days"),
        ("/events/users/A/stats", {"days": 91}, "days"),
        ("/events/users/A/stats", {"days": "week"}, "days"),
        ("/events/users/a%01b/stats", {}, "user_id"),
        ("/events/users/" + "x" * 257 + "/events", {}, "user_id"),
        ("/events/users/H/events", {"limit": 0}, "limit"),
        ("/events/users/H/events", {"limit": 1001}, "limit"),
        ("/events/users/H/events", {"cursor": "not a cursor"}, "cursor"),
        ("/events/users/H/events", {"cursor": "abc"}, "cursor"),
        (
            "/events/users/H/events",
            {"cursor": base64.urlsafe_b64encode(b"12:not-an-id").decode().rstrip("=")},
            "cursor",
        ),
        ("/events/users/H/events", {"type": "../x"}, "type.0"),
        ("/events/users/H/events", {"start": "2024-03-01T00:00:00"}, "start"),
        ("/events/users/H/events", {"start": "yesterday"}, "start"),
        (
            "/events/users/H/events",
            {"start": "2024-03-02T00:00:00Z", "end": "2024-03-01T00:00:00Z"},
            "end",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(served, path, params, field):
    r = served["client"].get(path, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field


def all_pages(client: httpx.Client, user: str, limit: int, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"/events/users/{user}/events", params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body["events"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def expected(events: list[dict]) -> list[dict]:
    """Newest first, ties by id descending, as landed."""
    out = [
        {
            "id": e["data"]["id"],
            "type": e["data"]["type"],
            "created_at": e["meta"]["created_at"],
            "attributes": e["data"]["attributes"],
            "meta": e["meta"],
        }
        for e in events
    ]
    return sorted(out, key=lambda e: (e["created_at"], e["id"]), reverse=True)


@pytest.mark.slow
def test_history_is_complete_newest_first_and_filters(served):
    client, history = served["client"], served["history"]
    pages = all_pages(client, "H", 7)
    assert [len(p) for p in pages] == [7, 7, 7, 5]
    assert [e for p in pages for e in p] == expected(history)
    assert pages[0][0]["attributes"]["big"] == 12345678901234567890  # lossless
    # type filter (repeatable) and a right-open time window
    views = [e for p in all_pages(client, "H", 4, type="page_viewed") for e in p]
    assert views == [e for e in expected(history) if e["type"] == "page_viewed"]
    two = [
        e
        for p in all_pages(
            client,
            "H",
            3,
            type=["page_viewed", "message_sent"],
            start="2024-03-09T10:05:00Z",
            end="2024-03-09T10:15:00+00:00",
        )
        for e in p
    ]
    window = (ms("2024-03-09T10:05:00"), ms("2024-03-09T10:15:00"))
    assert two == [
        e
        for e in expected(history)
        if e["type"] in ("page_viewed", "message_sent") and window[0] <= e["created_at"] < window[1]
    ]
    assert two and two[-1]["created_at"] == window[0]


def layout_ids(lake: Path) -> set[str]:
    import duckdb

    m = by_user.read_manifest(Lake(str(lake)))
    paths = [str(lake / f) for fs in m.files.values() for f in fs]
    return {r[0] for r in duckdb.sql(f"SELECT id FROM read_parquet({paths!r})").fetchall()}


@pytest.mark.slow
def test_pages_stay_stable_while_events_arrive_and_the_layout_follows_incrementally(
    served, monkeypatch
):
    client, history, lake = served["client"], served["history"], served["lake"]
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(served["data"]))
    monkeypatch.setenv("EVENTS_URL", str(served["landing"]))
    monkeypatch.setenv("EVENTS_LAKE_URL", str(lake))
    first = client.get("/events/users/H/events", params={"limit": 6}).json()
    cursor = first["next_cursor"]

    # A second lake commit: newer events of H, and one arriving late, older than the cursor.
    newer = history_events(3, "2024-03-09T12:00:00")
    late = event("page_viewed", ms("2024-03-09T09:00:00"), user="H", n=99)
    write_lines(served["landing"], "0002.json", [*newer, late])
    assert len(files.land_files().batches) == 1
    before = by_user.read_manifest(Lake(str(lake)))
    done = by_user.maintain()
    assert (done.batches_applied, done.rows_applied) == (1, 5)
    assert done.version == before.version + 1
    after = by_user.read_manifest(Lake(str(lake)))
    assert all(after.bucket_files(int(b))[: len(fs)] == fs for b, fs in before.files.items())
    # Idempotent: nothing pending, the manifest and the files stay as they are.
    again = by_user.maintain()
    assert (again.batches_applied, again.delta_files, again.version) == (0, 0, after.version)
    with_user = {r[0] for r in lake_rows(lake) if r[6] is not None}
    assert layout_ids(lake) == with_user

    time.sleep(1.2)  # the API re-reads the manifest at most once a second
    seen = list(first["events"])
    while cursor:
        body = client.get("/events/users/H/events", params={"limit": 6, "cursor": cursor}).json()
        seen.extend(body["events"])
        cursor = body["next_cursor"]
    ids = [e["id"] for e in seen]
    assert len(ids) == len(set(ids)), "a page repeated an event"
    assert ids == [e["id"] for e in expected([*history, late])]  # none skipped, late one last
    fresh = all_pages(client, "H", 100)[0]
    assert [e["id"] for e in fresh] == [e["id"] for e in expected([*history, *newer, late])]

    # Compaction merges a bucket's files into one without changing what is served.
    monkeypatch.setenv("EVENTS_BY_USER_COMPACT_MIN_FILES", "1")
    compacted = by_user.maintain()
    assert compacted.buckets_compacted >= 1
    m = by_user.read_manifest(Lake(str(lake)))
    assert all(len(fs) == 1 for fs in m.files.values()) and m.retired
    assert layout_ids(lake) == with_user
    time.sleep(1.2)
    assert all_pages(client, "H", 100)[0] == fresh
