"""Every API endpoint is a dbt exposure (``dbt_project/models/exposures.yml``) and every
exposure an endpoint, so the dbt docs lineage runs from the sources to the API.

The routes are the app's OpenAPI operations (method and path, tag, operation id); an
exposure names its route in ``label`` and links it in the API docs in ``url``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.main import DOMAINS, app

API_DOCS = "http://localhost:8000/docs"


@pytest.fixture(scope="module")
def manifest(dbt_manifest: Path) -> dict:
    return json.loads(dbt_manifest.read_text())


@pytest.fixture(scope="module")
def exposures(manifest: dict) -> dict[str, dict]:
    return {e["label"]: e for e in manifest["exposures"].values()}


def routes() -> dict[str, dict]:
    """``"GET /ctr"`` → its OpenAPI operation."""
    paths = app.openapi()["paths"]
    return {
        f"{method.upper()} {path}": op for path, ops in paths.items() for method, op in ops.items()
    }


def test_every_route_has_an_exposure_and_every_exposure_a_route(exposures: dict[str, dict]):
    served = routes()
    assert sorted(served.keys() - exposures.keys()) == [], "routes without an exposure"
    assert sorted(exposures.keys() - served.keys()) == [], "exposures naming no route"


def test_exposures_are_applications_linking_their_route_in_the_api_docs(
    exposures: dict[str, dict],
):
    for route, op in routes().items():
        exposure = exposures[route]
        assert exposure["type"] == "application", route
        assert exposure["url"] == f"{API_DOCS}#/{op['tags'][0]}/{op['operationId']}", route
        assert exposure["owner"]["name"] and exposure["description"].strip(), route


def test_snapshot_endpoints_depend_on_marts_of_their_domain(
    manifest: dict, exposures: dict[str, dict]
):
    """An endpoint that reads a domain's serving snapshot has that domain's marts upstream;
    the others (location's operational store, health) read no mart."""
    for route, op in routes().items():
        nodes = [manifest["nodes"][n] for n in exposures[route]["depends_on"]["nodes"]]
        layers_and_domains = {tuple(node["fqn"][1:3]) for node in nodes}
        domain = op["tags"][0]
        if domain in DOMAINS:
            assert layers_and_domains == {("marts", domain)}, route
        else:
            assert layers_and_domains == set(), route
