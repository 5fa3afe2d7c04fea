"""Schemathesis over every operation of the real API (uvicorn on a local port) against a sample
warehouse: the responses must conform to the OpenAPI schema, in positive and negative mode."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.conftest import free_port
from tests.gaming.helpers import event, land

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MAX_EXAMPLES = 150  # per operation and phase: ~1,600 test cases, ~15 s on 2 cores


@pytest.fixture
def sample_warehouse(built_data_dir: Path) -> Path:
    """Every asset materialised once (``make materialize``) over gaming events (Unicode users,
    spend and none, several pages) and adreports' catch-up range from the simulated provider;
    the other domains' marts are built from empty landings (200 with empty figures, which the
    schema must describe too)."""
    from orchestration import materialize_all  # imported once the manifest is there

    users = ["A", "Zoë", "user 3"]
    land(
        "0000.json",
        [
            event(u, ts=f"2017-12-19 10:{m:02d}:00", spend=f"{m}.50" if m % 2 else None)
            for u in users
            for m in range(12)
        ],
    )
    assert materialize_all.main() == 0
    fill_feature_store()
    return built_data_dir


def fill_feature_store() -> None:
    """The embedded online feature store with a few products (so /features answers non-zero
    counts as well as the zeros of unknown products)."""
    import uuid

    from tributary.features.store import open_store

    now = int(time.time() * 1000)
    types = ["product_impression", "product_liked", "conversation_started"]
    lines = [
        json.dumps(
            {
                "data": {
                    "id": str(uuid.uuid4()),
                    "type": types[i % 3],
                    "attributes": {"product_id": product, "user_id": "u"},
                },
                "meta": {"created_at": now - i * 600_000},
            }
        ).encode()
        for i, product in enumerate(["A", "Zoë", "p 3", "A", "A"] * 20)
    ]
    store = open_store()
    store.apply("fuzz", list(enumerate(lines, 1)))
    store.close()


@pytest.fixture
def api_in_thread(sample_warehouse: Path) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config("api.main:app", host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
def test_schemathesis_finds_no_failure_in_any_operation(api_in_thread, tmp_path):
    # The metrics registry is the process's: earlier tests' requests are subtracted.
    before = counters(httpx.get(f"{api_in_thread}/metrics").text)
    health = httpx.get(f"{api_in_thread}/health").json()
    assert all(d["published"] for d in health["domains"].values()), health
    report = tmp_path / "report.json"
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            f"{api_in_thread}/openapi.json",
            "--checks",
            CHECKS,
            "--mode",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "13",
            "--workers",
            "2",
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=tmp_path,
    )
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    summary = json.loads(report.read_text())
    assert summary["operations"]["tested"] == summary["operations"]["total"] == 14
    assert summary["test_cases"]["with_failures"] == 0 and not summary["errors"]
    assert summary["phases"]["coverage"]["status"] == "success"
    during = {
        labels: n - before.get(labels, 0)
        for labels, n in counters(httpx.get(f"{api_in_thread}/metrics").text).items()
    }
    answered: dict[str, int] = {}
    for labels, n in during.items():
        status = labels.split('status="')[1].split('"')[0]
        answered[status] = answered.get(status, 0) + n
    answered = {status: n for status, n in sorted(answered.items()) if n}
    print(f"schemathesis: {summary['test_cases']['generated']} test cases, requests {answered}")
    assert sum(answered.values()) >= summary["test_cases"]["generated"]
    server_errors = {labels: n for labels, n in during.items() if 'status="5' in labels and n}
    assert not server_errors, server_errors


def counters(metrics: str) -> dict[str, int]:
    """``tributary_http_requests_total`` by its label set (method, route, status)."""
    return {
        line.rsplit(" ", 1)[0]: int(float(line.rsplit(" ", 1)[1]))
        for line in metrics.splitlines()
        if line.startswith("tributary_http_requests_total{")
    }
