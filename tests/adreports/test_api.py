"""The adreports API's input contract, in process against a stand-in snapshot: every
malformed parameter gets 400 in the one error shape naming it (the data path over real HTTP
is in test_dagster)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.main import app
from api.routers.adreports import Snapshot

GOOD = {"start": "2016-01-01", "end": "2016-01-02", "app": "app-farm", "country": "US"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA adreports")
    con.execute(
        "CREATE TABLE adreports.daily_revenue (report_date DATE, app_id VARCHAR, app_name "
        "VARCHAR, country VARCHAR, impressions BIGINT, clicks BIGINT, earnings DECIMAL(18, 6), "
        "completeness_status VARCHAR)"
    )
    con.execute(
        "CREATE TABLE adreports.daily_status (report_date DATE, completeness_status VARCHAR, "
        "failed_checks VARCHAR, warned_checks VARCHAR, pull_error VARCHAR)"
    )
    app.dependency_overrides[Snapshot.__metadata__[0].dependency] = lambda: con
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()
        con.close()


def test_a_well_formed_query_answers_every_day(client):
    response = client.get("/adreports/revenue", params=GOOD)
    assert response.status_code == 200
    assert [d["completeness_status"] for d in response.json()["days"]] == ["not_pulled"] * 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "20160101"}, "start"),  # ISO basic format
        ({"start": "2016-W01-1"}, "start"),  # ISO week date
        ({"end": "2016W012"}, "end"),  # the same, basic format
        ({"country": "US\n"}, "country"),
        ({"app": "app-farm\n"}, "app"),
    ],
)
def test_a_malformed_parameter_is_400_naming_it(client, params, field):
    response = client.get("/adreports/revenue", params={**GOOD, **params})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
