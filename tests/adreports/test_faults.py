"""Every fault of the provider, one by one, over real HTTP: each ends in complete and correct
data, or in a failed check / failed pull that leaves the previous accepted data in place."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from loaders.adreports.pipeline import pull
from loaders.adreports.session import (
    PageLog,
    ProviderAuthError,
    ProviderSession,
    ProviderUnavailable,
)
from loaders.adreports.settings import AdreportsSettings
from tests.adreports.helpers import (
    TODAY,
    accepted_day,
    duplicate_keys,
    expected_day,
    fault,
    ledger,
    provider_log,
    pull_days,
    set_today,
    span,
)
from tests.conftest import rows


def test_clean_pull_lands_exactly_the_provider_rows(adreports_env, day):
    days = span(day - dt.timedelta(days=2), day)
    report = pull_days(*days)

    assert [d.status for d in report.days] == ["passed"] * 3
    for d in days:
        assert accepted_day(d) == expected_day(d)
        assert ledger(d) == [("passed", None, None, None)]
    # 162 rows a day at 50 a page: 4 pages each, all of them fetched once.
    pages = [r for r in provider_log(adreports_env) if r.get("status") == 200 and "page" in r]
    assert len(pages) == 3 * 4
    assert duplicate_keys("report_rows") == duplicate_keys("accepted_rows") == 0


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retried_until_the_data_is_complete(adreports_env, day, status):
    fault(adreports_env, kind="error", status=status, count=3)
    report = pull_days(day)

    assert report.retries == 3
    assert report.days[0].status == "passed"
    assert accepted_day(day) == expected_day(day)
    assert [r["status"] for r in provider_log(adreports_env)][:4] == [status] * 3 + [200]


def test_timeout_is_retried(adreports_env, day):
    fault(adreports_env, kind="timeout", seconds=1.5, count=1)  # client timeout is 0.5 s
    report = pull_days(day)

    assert report.retries == 1
    assert accepted_day(day) == expected_day(day)


def test_429_waits_at_least_retry_after(adreports_env, day):
    fault(adreports_env, kind="rate_limit", retry_after=1, count=1)
    waits: list[float] = []
    config = AdreportsSettings.from_env()

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    report = pull([day], config, session=ProviderSession(config, PageLog(), sleep=sleep))

    assert waits and waits[0] >= 1.0  # the backoff alone would be ~0.01 s
    log = provider_log(adreports_env)
    assert log[0]["status"] == 429
    assert log[1]["at"] - log[0]["at"] >= 1.0
    assert report.days[0].status == "passed"
    assert accepted_day(day) == expected_day(day)


def test_provider_down_fails_clearly_and_keeps_the_previous_data(adreports_env, day):
    pull_days(day)
    before = accepted_day(day)
    fault(adreports_env, kind="error", status=503, count=50)

    with pytest.raises(ProviderUnavailable, match=r"HTTP 503 .* after 4 attempts"):
        pull_days(day)

    assert accepted_day(day) == before == expected_day(day)
    status, failed, _, error = ledger(day)[-1]
    assert (status, failed) == ("failed", None)
    assert "HTTP 503" in error


def test_expired_token_is_refreshed_once(adreports_env, day):
    fault(adreports_env, kind="expire_token", after_requests=2)  # expires mid-pull
    report = pull_days(day)

    assert report.token_refreshes == 1
    assert report.days[0].status == "passed"
    assert accepted_day(day) == expected_day(day)
    statuses = [r["status"] for r in provider_log(adreports_env, "/v1/oauth/token")]
    assert statuses == [200, 200]  # the first token, then exactly one refresh


def test_401_after_a_refresh_fails_clearly(adreports_env, day):
    pull_days(day)
    fault(adreports_env, kind="reject_tokens")

    with pytest.raises(ProviderAuthError, match="again right after refreshing"):
        pull_days(day)

    assert accepted_day(day) == expected_day(day)  # the previous data stays
    assert ledger(day)[-1][0] == "failed"
    # This pull: a token, one 401, exactly one refresh, one more 401, then stop.
    assert [r["status"] for r in provider_log(adreports_env)][-2:] == [401, 401]
    assert [r["status"] for r in provider_log(adreports_env, "/v1/oauth/token")] == [200] * 3


def test_revoked_api_token_fails_clearly(adreports_env, day):
    pull_days(day)
    fault(adreports_env, kind="revoke_refresh_token")

    with pytest.raises(ProviderAuthError, match="ADREPORTS_API_TOKEN"):
        pull_days(day)

    assert accepted_day(day) == expected_day(day)
    assert ledger(day)[-1][0] == "failed"
    assert [r["status"] for r in provider_log(adreports_env, "/v1/oauth/token")] == [200, 401]


def test_empty_day_fails_its_check_then_heals(adreports_env, day):
    pull_days(day)
    fault(adreports_env, kind="empty_day", date=day)

    report = pull_days(day)
    assert "day_not_empty" in report.days[0].failed_checks
    assert accepted_day(day) == expected_day(day)  # the previous complete data stays

    fault(adreports_env, kind="clear_day", date=day)
    assert pull_days(day).days[0].status == "passed"
    assert [s for s, *_ in ledger(day)] == ["passed", "failed", "passed"]


def test_empty_day_never_accepted_is_a_gap_not_zero(adreports_env, day):
    fault(adreports_env, kind="empty_day", date=day)
    report = pull_days(day)

    assert "day_not_empty" in report.days[0].failed_checks
    assert accepted_day(day)["rows"] == 0
    assert ledger(day)[-1][0] == "failed"


def test_truncated_last_page_fails_totals_check(adreports_env, day):
    fault(adreports_env, kind="truncate_last_page", date=day)
    result = pull_days(day).days[0]

    assert result.failed_checks == ["totals_match_provider"]
    assert result.rows_loaded < expected_day(day)["rows"]
    assert accepted_day(day)["rows"] == 0  # nothing partial reached the accepted rows

    fault(adreports_env, kind="clear_day", date=day)
    assert pull_days(day).days[0].status == "passed"
    assert accepted_day(day) == expected_day(day)


def test_missing_page_fails_pages_and_totals_checks(adreports_env, day):
    pull_days(day)
    fault(adreports_env, kind="drop_page", date=day, page=2)
    result = pull_days(day).days[0]

    assert result.missing_pages == [2]
    assert set(result.failed_checks) == {"pages_complete", "totals_match_provider"}
    assert accepted_day(day) == expected_day(day)
    assert duplicate_keys("accepted_rows") == 0


def test_late_day_is_blocked_then_flagged_then_complete(adreports_env):
    day = TODAY - dt.timedelta(days=1)
    # Two weeks of history: two earlier days of the same weekday make the baseline.
    history = pull_days(*span(day - dt.timedelta(days=14), day - dt.timedelta(days=1)))
    assert {d.status for d in history.days} == {"passed"}
    fault(adreports_env, kind="late_day", date=day, days_to_complete=3)

    first = pull_days(day).days[0]  # a third of the rows so far
    assert first.failed_checks == ["volume_vs_trailing_median"]
    assert first.outcomes["totals_match_provider"].passed  # consistent, yet incomplete
    assert accepted_day(day)["rows"] == 0

    set_today(adreports_env, TODAY + dt.timedelta(days=1))  # two thirds
    second = pull_days(day).days[0]
    assert second.status == "warned" and second.warned_checks == ["volume_vs_trailing_median"]
    assert 0 < accepted_day(day)["rows"] < expected_day(day)["rows"]

    set_today(adreports_env, TODAY + dt.timedelta(days=2))  # all of it
    assert pull_days(day).days[0].status == "passed"
    assert accepted_day(day) == expected_day(day)
    assert duplicate_keys("report_rows") == duplicate_keys("accepted_rows") == 0


def test_repull_after_a_revision_changes_the_figure_without_duplicates(adreports_env, day):
    pull_days(day)
    assert accepted_day(day) == expected_day(day)
    fault(adreports_env, kind="revise", date=day, app_id="app-farm", factor=1.25)

    pull_days(day)
    revised = expected_day(day, factor=1.25, app="app-farm")
    assert revised["earnings_micros"] != expected_day(day)["earnings_micros"]
    assert accepted_day(day) == revised
    assert duplicate_keys("report_rows") == duplicate_keys("accepted_rows") == 0


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("html", "HTTP 200 with a body that is not a report page (text/html)"),
        ("truncated", "ChunkedEncodingError"),
    ],
)
def test_a_bad_page_fails_its_day_alone(adreports_env, day, kind, reason):
    days = span(day - dt.timedelta(days=10), day)
    bad = days[5]
    fault(adreports_env, kind=kind, date=bad, page=2)
    report = pull_days(*days)

    [failed] = report.failed_days
    assert failed.day == bad and reason in failed.error and "after 4 attempts" in failed.error
    assert [d.status for d in report.days].count("passed") == 10
    for d in days:
        assert accepted_day(d) == (expected_day(d) if d != bad else accepted_day(bad))
        assert ledger(d)[-1][3] == (failed.error if d == bad else None)
    assert accepted_day(bad)["rows"] == 0
    tries = [r for r in provider_log(adreports_env) if r.get("fault") == kind]
    assert len(tries) == 4  # retried as a provider error, then given up

    fault(adreports_env, kind="clear_day", date=bad)
    assert pull_days(bad).days[0].status == "passed"
    assert accepted_day(bad) == expected_day(bad)


def test_429_with_an_http_date_waits_until_that_date(adreports_env, day):
    fault(adreports_env, kind="retry_after_as_date", seconds=2)
    waits: list[float] = []
    config = AdreportsSettings.from_env()

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    report = pull([day], config, session=ProviderSession(config, PageLog(), sleep=sleep))

    assert report.days[0].status == "passed"
    assert len(waits) == 1 and 1.0 <= waits[0] <= 3.0  # the backoff alone would be ~0.01 s
    assert accepted_day(day) == expected_day(day)


def test_null_report_total_fails_the_totals_check(adreports_env, day):
    fault(adreports_env, kind="null_total", date=day)
    result = pull_days(day).days[0]

    assert result.failed_checks == ["totals_match_provider"]
    assert result.rows_loaded == expected_day(day)["rows"]
    assert "no report total" in result.outcomes["totals_match_provider"].detail


@pytest.mark.parametrize(
    ("field", "value"), [("impressions", "1,234"), ("clicks", 2.5), ("report_date", "other")]
)
def test_a_bad_value_quarantines_its_row_and_fails_its_day(adreports_env, day, field, value):
    before = day - dt.timedelta(days=1)
    value = before.isoformat() if value == "other" else value  # a row of another day
    fault(adreports_env, kind="bad_metric", date=day, field=field, value=value)
    report = pull_days(before, day)

    assert [d.status for d in report.days] == ["passed", "failed"]
    assert "1 rows quarantined" in report.days[1].error and field in report.days[1].error
    [(raw, reason)] = rows("SELECT raw, reason FROM adreports_raw.report_quarantine")
    assert json.loads(raw)[field] == value and reason.startswith(field)
    assert (
        rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'report_rows' AND column_name LIKE '%\\_\\_v\\_%' ESCAPE '\\'"
        )
        == []
    )
    assert accepted_day(before) == expected_day(before)
    assert accepted_day(day)["rows"] == 0
    assert rows(
        "SELECT count(*) FROM adreports_raw.report_rows WHERE report_date = ?", [before]
    ) == [(expected_day(before)["rows"],)]
