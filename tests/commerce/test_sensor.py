"""``commerce_sensor``: a run request when view files land or the shop database changes."""

from __future__ import annotations

import dagster as dg

from loaders.commerce.shop_db import load_exports
from tests.commerce.edge import write_edge_cases


def tick(cursor: str | None = None):
    from orchestration.defs.commerce.sensors import commerce_sensor

    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), cursor=cursor)
    return commerce_sensor(context)


def test_requests_a_run_for_new_files_and_for_shop_changes(commerce_env):
    quiet = tick()
    assert not quiet.run_requests and quiet.skip_reason

    edge = write_edge_cases(commerce_env.inputs)
    first = tick()
    [request] = first.run_requests
    assert request.tags["commerce/pending_files"] == "3"
    assert tick(first.cursor).run_requests[0].run_key == request.run_key  # same state, same key

    load_exports(edge["orders_csv"], edge["items_csv"])
    after_load = tick(first.cursor)
    assert after_load.run_requests[0].run_key != request.run_key
    assert after_load.cursor and after_load.cursor != first.cursor
