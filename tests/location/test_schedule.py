"""``location_refresh_schedule`` asks for no second run while its last one is still queued: that
run reads every change up to its start, so another would only lengthen the queue."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.location.jobs import location_refresh_schedule
from orchestration.lib.sensors import SCHEDULE_NAME_TAG


def test_the_refresh_schedule_skips_while_its_run_is_queued():
    with dg.instance_for_test() as instance:  # (a schedule context needs an instance ref)
        check(instance, dg.build_schedule_context(instance=instance))


def check(instance: dg.DagsterInstance, context: dg.ScheduleEvaluationContext) -> None:
    assert location_refresh_schedule.evaluate_tick(context).run_requests

    queued = dg.DagsterRun(
        job_name="location_refresh",
        status=dg.DagsterRunStatus.NOT_STARTED,  # (QUEUED needs a real code origin)
        tags={SCHEDULE_NAME_TAG: "location_refresh_schedule"},
    )
    instance.add_run(queued)
    skipped = location_refresh_schedule.evaluate_tick(context)
    assert not skipped.run_requests and skipped.skip_message

    instance.delete_run(queued.run_id)
    instance.add_run(queued.with_status(dg.DagsterRunStatus.STARTED))
    assert location_refresh_schedule.evaluate_tick(context).run_requests
