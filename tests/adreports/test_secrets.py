"""The API token and the access tokens never reach a log line, an error message, the ledger
or the output, on the happy path or on any failure path (DEBUG logging everywhere, dlt's
request logging included)."""

from __future__ import annotations

import logging

import pytest
from dlt.common import logger as dlt_logging

from loaders.adreports.pipeline import pipeline
from loaders.adreports.session import ProviderAuthError
from loaders.adreports.settings import AdreportsSettings
from tests.adreports.helpers import fault, pull_days
from tests.conftest import rows


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture):
    """Every logger at DEBUG into ``caplog``, dlt's own (non-propagating) one too."""
    caplog.set_level(logging.DEBUG)
    pipeline()  # initialises dlt's runtime and its logger
    dlt_logger = dlt_logging.LOGGER
    level = dlt_logger.level
    dlt_logger.setLevel(logging.DEBUG)
    dlt_logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        dlt_logger.removeHandler(caplog.handler)
        dlt_logger.setLevel(level)


def test_tokens_never_appear_in_logs_errors_or_the_ledger(
    adreports_env, day, secret, debug_logs, capfd
):
    messages = [repr(AdreportsSettings.from_env())]

    fault(adreports_env, kind="expire_token", after_requests=2)
    fault(adreports_env, kind="error", status=503, count=1)
    assert pull_days(day).days[0].status == "passed"
    fault(adreports_env, kind="reject_tokens")
    with pytest.raises(ProviderAuthError) as rejected:
        pull_days(day)
    fault(adreports_env, kind="revoke_refresh_token")
    with pytest.raises(ProviderAuthError) as revoked:
        pull_days(day)
    messages += [str(rejected.value), repr(rejected.value), str(revoked.value)]

    tokens = [secret, *adreports_env.state.issued_tokens]
    assert len(tokens) >= 4  # the refresh token and three access tokens were really used
    ledger = [str(r) for r in rows("SELECT * FROM adreports_raw.pulls")]
    out, err = capfd.readouterr()
    assert "Making GET request" in debug_logs.text  # dlt's request logging was on, at DEBUG
    for haystack in [debug_logs.text, out, err, *messages, *ledger]:
        for token in tokens:
            assert token not in haystack
