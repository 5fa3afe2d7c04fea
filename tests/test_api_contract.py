"""The API's contract without data: every error in the one shape, and the OpenAPI schema says so."""

from __future__ import annotations

import re

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.deps import TIMESTAMP
from api.main import app
from tributary.platforms import PLATFORMS
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
    assert len(operations) == 9
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
    ]:
        pattern = param(path, name)["pattern"]
        assert re.fullmatch(pattern, "Zoë 1") and not re.fullmatch(pattern, "a\x00b"), path
    assert param("/location/{user_id}/minutes", "start")["pattern"] == TIMESTAMP
    assert param("/gaming/users/{user}/events", "limit") | {"minimum": 1} == param(
        "/gaming/users/{user}/events", "limit"
    )


def test_a_control_character_in_an_id_is_refused_naming_it(http, monkeypatch):
    monkeypatch.setattr(SnapshotReader, "cursor", lambda self: duckdb.connect().cursor())
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
    (serving / "gaming" / "CURRENT").write_text("20261204T000000-deleted.duckdb\n")
    (serving / "players" / "20261204T000000-truncated.duckdb").write_bytes(b"DUCK" * 10)
    (serving / "players" / "CURRENT").write_text("20261204T000000-truncated.duckdb\n")

    health = http.get("/health").json()
    assert health["status"] == "degraded"
    assert "deleted.duckdb" in health["domains"]["gaming"]["error"]
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
    assert "deleted.duckdb" in r.json()["error"]["reason"]
