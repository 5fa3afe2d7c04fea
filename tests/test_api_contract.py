"""The API's contract without data: every error in the one shape, and the OpenAPI schema says so."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import app


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
