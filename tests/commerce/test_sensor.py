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


def test_no_second_request_while_its_run_is_still_queued(commerce_env):
    """A queued run loads what is pending when it starts: another request would only queue a
    run with nothing left to do (the shared factory, so every file domain's sensor)."""
    from orchestration.defs.commerce.sensors import commerce_sensor
    from orchestration.lib.sensors import SENSOR_NAME_TAG

    instance = dg.DagsterInstance.ephemeral()
    write_edge_cases(commerce_env.inputs)

    def tick_on(cursor=None):
        return commerce_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))

    first = tick_on()
    assert first.run_requests
    run = dg.DagsterRun(
        job_name="commerce_refresh",
        status=dg.DagsterRunStatus.NOT_STARTED,  # (QUEUED needs a real code origin)
        tags={SENSOR_NAME_TAG: "commerce_sensor"},
    )
    instance.add_run(run)
    waiting = tick_on(first.cursor)
    assert not waiting.run_requests
    assert run.run_id in waiting.skip_reason.skip_message
    assert waiting.cursor == first.cursor

    # Once it has started (it lists its input now), new input gets a request again.
    instance.delete_run(run.run_id)
    instance.add_run(run.with_status(dg.DagsterRunStatus.STARTED))
    again = tick_on(first.cursor)
    assert again.run_requests[0].run_key == first.run_requests[0].run_key
