"""The gaming API over real HTTP (uvicorn subprocess) against a materialised warehouse."""

from __future__ import annotations

import base64
import threading
import time

import httpx
import pytest

from tests.gaming.helpers import event, land, load

pytestmark = pytest.mark.slow  # an API server per test over a dbt-built warehouse


def test_api_serves_revenue_and_paginated_events(built_data_dir, api_server):
    land(
        "0000.json",
        [event("Zoë", ts=f"2017-12-19 10:00:{s:02d}", spend="0.10") for s in range(25)]
        + [event("B", evtname="tutorial")],
    )
    load()
    with httpx.Client(base_url=api_server, timeout=10) as http:
        health = http.get("/health").json()
        assert health["domains"]["gaming"]["published"] is True

        assert http.get("/gaming/revenue/Zoë").json() == {"user": "Zoë", "total_spend": "2.50"}
        assert http.get("/gaming/revenue/B").json() == {"user": "B", "total_spend": "0.00"}

        missing = http.get("/gaming/revenue/nobody")
        assert missing.status_code == 404
        assert missing.json() == {"error": {"field": "user", "reason": "unknown user"}}
        assert http.get("/gaming/users/nobody/events").status_code == 404

        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
            page = http.get("/gaming/users/Zoë/events", params=params).json()
            seen += [e["timestamp"] for e in page["events"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == [f"2017-12-19 10:00:{s:02d}" for s in range(25)]

        bad = http.get("/gaming/users/Zoë/events", params={"limit": 0})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "limit"
        # Not base64; a line number too large for a float; JSON nested too deep to decode.
        for raw in (None, b'["2017-12-19 10:00:00", "0000.json", 1e999]', b"[" * 1536):
            cursor = base64.urlsafe_b64encode(raw).decode() if raw else "%%%"
            bad = http.get("/gaming/users/Zoë/events", params={"cursor": cursor})
            assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"

        assert http.get("/openapi.json").json()["paths"].keys() >= {
            "/health",
            "/gaming/revenue/{user}",
            "/gaming/users/{user}/events",
        }


def test_api_starts_on_an_empty_data_dir(data_dir, api_server):
    with httpx.Client(base_url=api_server, timeout=10) as http:
        assert http.get("/health").json()["domains"]["gaming"] == {
            "published": False,
            "published_at": None,
            "version": None,
            "error": None,
        }
        r = http.get("/gaming/revenue/A")
        assert r.status_code == 503 and "published" in r.json()["error"]["reason"]
        assert http.get("/docs").status_code == 200


def test_api_keeps_answering_while_the_pipeline_writes(built_data_dir, api_server):
    land("0000.json", [event("A", spend="1.00")])
    load()
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def hammer() -> None:
        nonlocal answered
        with httpx.Client(base_url=api_server, timeout=10) as http:
            while not stop.is_set():
                r = http.get("/gaming/revenue/A")
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text}")
                answered += 1

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        for i in range(1, 6):
            land(f"{i:04d}.json", [event("A", spend="1.00")])
            load()
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not failures, failures[:3]
    assert answered > 20
    with httpx.Client(base_url=api_server, timeout=10) as http:
        assert http.get("/gaming/revenue/A").json()["total_spend"] == "6.00"
