"""Through Dagster, the marts and the API: a failed check is visible in the run and in the
marts, keeps the previous figures, fires the alert webhook, and a later re-pull clears it.
Secrets appear in no log line, event or output along the way."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import httpx
import pytest

from orchestration.defs.adreports.schedules import adreports_daily_schedule
from orchestration.defs.adreports.sensors import (
    adreports_check_alert_sensor,
    adreports_run_failure_alert_sensor,
)
from simulation.adreports.report import day_rows
from tests.adreports.helpers import expected_day, fault, pull_days
from tests.conftest import rows, running_api

pytestmark = pytest.mark.usefixtures("dbt_manifest")  # the runs load the code location


class Receiver:
    """A local HTTP endpoint that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_day(instance: dg.DagsterInstance, day: dt.date):
    from orchestration.definitions import defs

    return defs.resolve_job_def("adreports_daily").execute_in_process(
        instance=instance, partition_key=day.isoformat(), raise_on_error=False
    )


def check_verdicts(result) -> dict[str, bool]:
    return {
        e.check_name: e.passed
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(["adreports_raw", "report_rows"])
    }


def served_earnings(base: str, day: dt.date) -> tuple[str, Decimal]:
    body = httpx.get(
        f"{base}/adreports/revenue", params={"start": str(day), "end": str(day)}, timeout=10
    ).json()
    return body["days"][0]["completeness_status"], sum(Decimal(r["earnings"]) for r in body["rows"])


def assert_filters_and_bad_requests(base: str, day: dt.date) -> None:
    url = f"{base}/adreports/revenue"
    body = httpx.get(
        url, params={"start": str(day), "end": str(day), "app": "app-farm", "country": "US"}
    ).json()
    want = sum(
        r["estimated_earnings_micros"]
        for r in day_rows(day)
        if r["app_id"] == "app-farm" and r["country"] == "US"
    )
    assert [(r["app_id"], r["country"]) for r in body["rows"]] == [("app-farm", "US")]
    assert Decimal(body["rows"][0]["earnings"]) == Decimal(want) / 1_000_000
    before = day - dt.timedelta(days=1)
    span_days = httpx.get(url, params={"start": str(before), "end": str(day)}).json()["days"]
    assert [d["completeness_status"] for d in span_days] == ["not_pulled", "stale"]
    for params, field in [
        ({"end": str(day)}, "start"),
        ({"start": "2026-13-01", "end": str(day)}, "start"),
        ({"start": str(day), "end": str(before)}, "end"),
        ({"start": "2024-01-01", "end": str(day)}, "end"),
        ({"start": str(day), "end": str(day), "country": "usa"}, "country"),
        ({"start": str(day), "end": str(day), "app": "a b"}, "app"),
    ]:
        response = httpx.get(url, params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["field"] == field


@pytest.mark.slow
def test_failed_check_blocks_the_day_alerts_and_a_repull_clears_it(
    adreports_env, day, data_dir, secret, monkeypatch, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    receiver = Receiver()
    monkeypatch.setenv("ADREPORTS_ALERT_WEBHOOK_URL", receiver.url)
    instance = dg.DagsterInstance.ephemeral()
    expected = Decimal(expected_day(day)["earnings_micros"]) / 1_000_000
    try:
        pull_days(day)  # complete figures from an earlier pull
        fault(adreports_env, kind="truncate_last_page", date=day)

        failed = run_day(instance, day)
        assert failed.success  # the pull ran; its checks say the day is not complete
        verdicts = check_verdicts(failed)
        assert verdicts == {
            "day_not_empty": True,
            "pages_complete": True,
            "totals_match_provider": False,
            "volume_vs_trailing_median": True,
        }
        [(status, checks)] = rows(
            "SELECT completeness_status, failed_checks FROM adreports.daily_status "
            "WHERE report_date = ?",
            [day],
        )
        assert (status, checks) == ("stale", "totals_match_provider")
        [(earnings,)] = rows(
            "SELECT sum(earnings) FROM adreports.daily_revenue WHERE report_date = ?", [day]
        )
        assert earnings == expected  # the previous complete figures, not the truncated ones

        # The alert hook: one message per failed check evaluation, sent once.
        context = dg.build_sensor_context(instance=instance)
        adreports_check_alert_sensor(context)
        assert [(m["kind"], m["check"]) for m in receiver.received] == [
            ("check_failed", "adreports_raw/report_rows:totals_match_provider")
        ]
        assert str(day) in receiver.received[0]["failing_days"]
        again = dg.build_sensor_context(instance=instance, cursor=context.cursor)
        adreports_check_alert_sensor(again)
        assert len(receiver.received) == 1

        with running_api(data_dir) as base:
            assert served_earnings(base, day) == ("stale", expected)
            assert_filters_and_bad_requests(base, day)
            fault(adreports_env, kind="clear_day", date=day)
            healed = run_day(instance, day)
            assert healed.success and all(check_verdicts(healed).values())
            assert served_earnings(base, day) == ("complete", expected)

        # Secrets: in no log record, no Dagster event, no output.
        tokens = [secret, *adreports_env.state.issued_tokens]
        events = [
            str(e.user_message) + json.dumps(str(e.dagster_event))
            for run in (failed, healed)
            for e in instance.all_logs(run.run_id)
        ]
        out, err = capfd.readouterr()
        haystacks = [caplog.text, out, err, *events]
        assert len(tokens) >= 3 and all(t not in h for t in tokens for h in haystacks)
    finally:
        receiver.close()


@pytest.mark.slow
def test_one_bad_day_of_a_range_fails_alone_and_the_others_are_served(adreports_env, day, data_dir):
    first, bad = day - dt.timedelta(days=10), day - dt.timedelta(days=4)
    fault(adreports_env, kind="html", date=bad)  # every page of that day: a proxy's error page
    from orchestration.definitions import defs

    result = defs.resolve_job_def("adreports_daily").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": day.isoformat(),
        },
        raise_on_error=False,
    )
    assert result.success
    assert check_verdicts(result)["day_not_empty"] is False  # the bad day is flagged
    with running_api(data_dir) as base:
        response = httpx.get(
            f"{base}/adreports/revenue", params={"start": str(first), "end": str(day)}, timeout=10
        )
    assert response.status_code == 200
    body = response.json()
    days = {d["date"]: d for d in body["days"]}
    assert [d["completeness_status"] for d in body["days"]].count("complete") == 10
    assert days[str(bad)]["completeness_status"] == "missing"
    assert "not a report page (text/html)" in days[str(bad)]["error"]
    served = {r["date"] for r in body["rows"]}
    assert served == {str(first + dt.timedelta(days=i)) for i in range(11)} - {str(bad)}
    assert (
        sum(Decimal(r["earnings"]) for r in body["rows"])
        == sum(
            Decimal(expected_day(first + dt.timedelta(days=i))["earnings_micros"])
            for i in range(11)
            if i != 6
        )
        / 1_000_000
    )


def test_refused_credentials_fail_the_run_clearly_and_alert(adreports_env, day, monkeypatch):
    receiver = Receiver()
    monkeypatch.setenv("ADREPORTS_ALERT_WEBHOOK_URL", receiver.url)
    fault(adreports_env, kind="revoke_refresh_token")
    instance = dg.DagsterInstance.ephemeral()
    try:
        result = run_day(instance, day)
        assert not result.success
        [run_failure] = [
            e.dagster_event
            for e in instance.all_logs(result.run_id)
            if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
        ]
        context = dg.build_run_status_sensor_context(
            sensor_name="adreports_run_failure_alert_sensor",
            dagster_event=run_failure,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        adreports_run_failure_alert_sensor(context)
        [message] = receiver.received
        assert (message["kind"], message["partition"]) == ("run_failed", str(day))
        assert "ADREPORTS_API_TOKEN" in message["error"]
        assert rows("SELECT status FROM adreports_raw.pulls WHERE report_date = ?", [day]) == [
            ("failed",)
        ]
    finally:
        receiver.close()


def test_schedule_pulls_yesterday_and_the_lookback_window(monkeypatch):
    monkeypatch.setenv("ADREPORTS_LOOKBACK_DAYS", "3")
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
    )
    requests = adreports_daily_schedule(context)
    assert [r.partition_key for r in requests] == [
        "2026-11-16",
        "2026-11-17",
        "2026-11-18",
        "2026-11-19",
    ]
    assert len({r.run_key for r in requests}) == 4
