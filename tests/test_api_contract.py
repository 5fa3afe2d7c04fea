"""The API's contract without data: every error in the one shape, and the OpenAPI schema says so."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.deps import TIMESTAMP
from api.main import app
from api.observability import Observability
from api.routers.location import WritePath
from tributary.platforms import PLATFORMS
from tributary.realtime import RealtimeReader
from tributary.serving import SnapshotReader


@pytest.fixture
def http(data_dir) -> TestClient:
    return TestClient(app)


def test_unknown_route_and_wrong_method_answer_in_the_one_error_shape(http):
    missing = http.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"reason": "not found"}}

    wrong = http.post("/health")
    assert wrong.status_code == 405
    assert wrong.json() == {"error": {"reason": "method not allowed"}}
    assert wrong.headers["allow"] == "GET"


def test_every_operation_documents_its_errors_in_the_one_shape(http):
    schema = http.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    error = {"$ref": "#/components/schemas/ErrorBody"}
    operations = [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]
    assert len(operations) == 14
    for method, path, op in operations:
        for status in ("400", "404", "405", "422", "503"):
            content = op["responses"][status]["content"]
            assert content == {"application/json": {"schema": error}}, (method, path, status)
        for param in op.get("parameters", []):  # a query parameter is never JSON null
            assert "anyOf" not in param["schema"], (path, param["name"])


def test_parameters_carry_their_formats_patterns_enums_and_bounds(http):
    paths = http.get("/openapi.json").json()["paths"]

    def param(path: str, name: str) -> dict:
        [p] = [p for p in paths[path]["get"]["parameters"] if p["name"] == name]
        return p["schema"]

    for path, name in [("/adreports/revenue", "start"), ("/api/game-stats", "date")]:
        assert param(path, name) | {"format": "date"} == param(path, name)
        assert re.fullmatch(param(path, name)["pattern"][1:-1], "2016-01-01")
        assert not re.fullmatch(param(path, name)["pattern"][1:-1], "20160101")
    assert param("/ctr", "platform")["enum"] == list(PLATFORMS)
    assert param("/ctr", "aggregation") | {"type": "integer", "minimum": 1} == param(
        "/ctr", "aggregation"
    )
    assert re.fullmatch(param("/ctr", "startTimestamp")["pattern"], "2016-01-03 13:55:00")
    assert not re.fullmatch(param("/ctr", "startTimestamp")["pattern"], "2016-01-03 13:55:01")
    for path, name in [
        ("/gaming/revenue/{user}", "user"),
        ("/api/user-stats", "user_id"),
        ("/location/{user_id}/minutes", "user_id"),
        ("/events/users/{user_id}/stats", "user_id"),
        ("/events/users/{user_id}/events", "user_id"),
    ]:
        pattern = param(path, name)["pattern"]
        assert re.fullmatch(pattern, "Zoë 1") and not re.fullmatch(pattern, "a\x00b"), path
    assert param("/location/{user_id}/minutes", "start")["pattern"] == TIMESTAMP
    assert param("/gaming/users/{user}/events", "limit") | {"minimum": 1} == param(
        "/gaming/users/{user}/events", "limit"
    )
    history, stats = "/events/users/{user_id}/events", "/events/users/{user_id}/stats"
    assert param(stats, "days") | {"minimum": 1, "maximum": 90} == param(stats, "days")
    assert param(history, "limit") | {"minimum": 1, "maximum": 1000} == param(history, "limit")
    for name in ("start", "end"):
        assert param(history, name)["format"] == "date-time"
    assert re.fullmatch(param(history, "type")["items"]["pattern"], "product_sold")
    assert not re.fullmatch(param(history, "type")["items"]["pattern"], "../x")
    assert not re.fullmatch(param(history, "user_id")["pattern"], "a/b")


def test_a_control_character_in_an_id_is_refused_naming_it(http, monkeypatch):
    monkeypatch.setattr(SnapshotReader, "cursor", lambda self: duckdb.connect().cursor())
    monkeypatch.setattr(RealtimeReader, "cursor", lambda self: sqlite3.connect(":memory:"))
    for path, field, status in [
        ("/gaming/revenue/a%00b", "user", 422),
        ("/api/user-stats?user_id=a%01b", "user_id", 400),
    ]:
        r = http.get(path)
        assert (r.status_code, r.json()["error"]["field"]) == (status, field), path


def test_an_unreadable_snapshot_is_logged_and_degrades_health(http, data_dir, caplog):
    serving = data_dir / "serving"
    for domain in ("gaming", "players"):
        (serving / domain).mkdir(parents=True)
    (serving / "gaming" / "realtime.sqlite").write_bytes(b"not a database" * 100)
    (serving / "players" / "20261204T000000-truncated.duckdb").write_bytes(b"DUCK" * 10)
    (serving / "players" / "CURRENT").write_text("20261204T000000-truncated.duckdb\n")

    health = http.get("/health").json()
    assert health["status"] == "degraded"
    assert "realtime.sqlite" in health["domains"]["gaming"]["error"]
    assert "truncated.duckdb" in health["domains"]["players"]["error"]
    assert health["domains"]["commerce"] == {  # never published: not an error
        "published": False,
        "published_at": None,
        "version": None,
        "error": None,
    }
    errors = [r for r in caplog.records if r.levelname == "ERROR" and r.name == "tributary.serving"]
    assert {r.args[0] for r in errors} == {"gaming", "players"}

    r = http.get("/gaming/revenue/A")
    assert r.status_code == 503
    assert "unavailable" in r.json()["error"]["reason"]
    assert "realtime.sqlite" in r.json()["error"]["reason"]


def test_requests_carry_an_id_and_are_logged_as_json(http, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="tributary.access")
    access = logging.getLogger("tributary.access")  # as the API's lifespan sets it up, or not
    monkeypatch.setattr(access, "handlers", [caplog.handler])
    monkeypatch.setattr(access, "propagate", False)
    echoed = http.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = http.get("/gaming/revenue/A")
    generated = made.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    bogus = http.get("/health", headers={"X-Request-ID": "a\tb"})  # not echoed into logs
    assert re.fullmatch(r"[0-9a-f]{32}", bogus.headers["x-request-id"])

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "tributary.access"]
    assert lines[0] | {"seconds": 0} == {
        "request_id": "abc-123",
        "method": "GET",
        "path": "/health",
        "route": "/health",
        "status": 200,
        "seconds": 0,
    }
    assert (lines[1]["request_id"], lines[1]["route"], lines[1]["status"]) == (
        generated,
        "/gaming/revenue/{user}",
        503,
    )


def test_metrics_count_requests_per_route_template_and_show_snapshot_state(http):
    def sample(text: str, name: str, **labels: str) -> float:
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        for line in text.splitlines():
            if line.startswith(f"{name}{{{wanted}}} "):
                return float(line.split()[-1])
        return 0.0

    labels = {"method": "GET", "route": "/gaming/revenue/{user}", "status": "503"}
    before = sample(http.get("/metrics").text, "tributary_http_requests_total", **labels)
    for user in ("a", "b", "c"):
        http.get(f"/gaming/revenue/{user}")
    http.get("/no/such/route")
    r = http.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert sample(text, "tributary_http_requests_total", **labels) == before + 3
    assert sample(
        text, "tributary_http_requests_total", method="GET", route="unmatched", status="404"
    )
    assert (
        sample(
            text,
            "tributary_http_request_duration_seconds_count",
            method="GET",
            route="/gaming/revenue/{user}",
        )
        >= 3
    )
    assert 'tributary_serving_snapshot{domain="gaming",state="unpublished",version=""} 1.0' in text
    assert "tributary_location_commit_batch_points_bucket" in text


def test_a_body_that_never_finishes_gets_408(data_dir, monkeypatch):
    monkeypatch.setenv("API_BODY_TIMEOUT_SECONDS", "0.2")
    sent: list[dict] = []

    async def receive():
        if not sent:
            sent.append({})
            return {"type": "http.request", "body": b'{"lat": 1', "more_body": True}
        await asyncio.sleep(60)  # the client stalls

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "PUT",
        "path": "/location",
        "headers": [],
        "query_string": b"",
    }
    asyncio.run(asyncio.wait_for(Observability(WritePath(None))(scope, receive, send), 5))
    assert sent[1]["status"] == 408
    assert json.loads(sent[2]["body"])["error"]["field"] == "body"
