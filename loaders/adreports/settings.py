"""Settings of the ad-report pull. The loader never starts a provider: with none configured,
whoever runs the pull starts the simulated one and sets its URL and token (``scripts/serve.sh``,
:mod:`orchestration.lib.embedded`, the tests' fixtures). The token never reaches ``repr`` or logs.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress

from pydantic import Field

from tributary.settings import Settings

SECRET_KEY = "sources.adreports.api_token"
URL_KEY = "sources.adreports.api_url"


class ProviderNotConfigured(RuntimeError):
    """No provider to pull from: the URL or its token is missing."""


class AdreportsSettings(Settings, env_prefix="ADREPORTS_"):
    api_url: str | None = None
    """base URL of the ad-report API (or `sources.adreports.api_url` in dlt's config); unset, `make serve` runs the simulated provider on `ADREPORTS_SIM_PORT` and `make materialize` one on a free port, and point this at it"""
    api_token: str | None = Field(None, repr=False)
    """secret refresh token exchanged for bearer access tokens (or `sources.adreports.api_token` in `.dlt/secrets.toml`; the simulator's own when it is started here); never logged"""
    page_size: int = 100
    """rows per report page"""
    timeout_seconds: float = 10.0
    """per-request timeout"""
    max_attempts: int = 6
    """attempts per request on 429/5xx/timeouts"""
    backoff_seconds: float = 0.5
    """first retry backoff (doubles, equal jitter)"""
    backoff_max_seconds: float = 30.0
    """cap of the retry backoff"""
    max_retry_after_seconds: float = 300.0
    """a longer `Retry-After` fails the pull instead of waiting"""
    lookback_days: int = 3
    """days before the scheduled day that every daily run pulls again (late and revised data)"""
    catchup_days: int = 14
    """days ending yesterday that `adreports_refresh` (`make materialize`) pulls"""
    min_median_ratio: float = 0.5
    """volume check: a day below this share of the trailing median (rows or earnings) fails"""
    warn_median_ratio: float = 0.9
    """volume check: a day below this share of the same-weekday median is flagged"""
    alert_webhook_url: str | None = None
    """where the alert sensors POST failed checks and failed runs (JSON)"""
    sim_port: int = 8790
    """port of the simulated provider `make serve`, `make adreports-provider` and the `adreports-provider` container role run"""
    sim_profile: str = "mild"
    """fault profile of the simulated provider `make materialize` (and the others that run one) starts (`none`, `mild`)"""

    def configured_url(self) -> str | None:
        """The provider URL from ``ADREPORTS_API_URL`` or dlt's config, if any."""
        return self.api_url or _from_dlt(URL_KEY)

    @classmethod
    def from_env(cls) -> AdreportsSettings:
        """The settings of a pull, its provider URL and token resolved (also from dlt's)."""
        env = cls()
        url, token = env.configured_url(), env.api_token or _from_dlt(SECRET_KEY)
        if not url:
            raise ProviderNotConfigured(
                "ADREPORTS_API_URL is not set: point it (and ADREPORTS_API_TOKEN) at the report "
                "API, or run the simulated one with `make adreports-provider`"
            )
        if not token:
            raise ProviderNotConfigured(
                "ADREPORTS_API_URL is set but no token: set ADREPORTS_API_TOKEN "
                f"or {SECRET_KEY} in .dlt/secrets.toml"
            )
        return env.model_copy(update={"api_url": url.rstrip("/"), "api_token": token})


def _from_dlt(key: str) -> str | None:
    """A value from dlt's config/secrets providers (``.dlt/secrets.toml``, env), if any."""
    import dlt

    with suppress(Exception):
        return str(dlt.secrets.get(key) or "") or None
    return None


def yesterday() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
