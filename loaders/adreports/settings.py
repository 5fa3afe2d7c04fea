"""Settings of the ad-report pull (``ADREPORTS_*``), and the provider access they resolve to.

``ADREPORTS_API_URL`` and ``ADREPORTS_API_TOKEN`` (or dlt's config/secrets) say which provider
to pull from. The loader never starts one itself: with no configuration, whoever runs the pull
starts the simulated provider and sets both (``scripts/serve.sh``, ``make materialize`` through
:mod:`orchestration.lib.embedded`, the tests' fixtures).
``ADREPORTS_API_TOKEN`` is a secret: it is kept out of ``repr`` and never logged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from tributary.settings import Settings

SECRET_KEY = "sources.adreports.api_token"
URL_KEY = "sources.adreports.api_url"


class AdreportsSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ADREPORTS_")

    api_url: str | None = Field(
        None,
        description=f"base URL of the ad-report API (or `{URL_KEY}` in dlt's config); unset, `make serve` runs the simulated provider on :8790 and `make materialize` one on a free port, and point this at it",
    )
    api_token: SecretStr | None = Field(
        None,
        description=f"secret refresh token exchanged for bearer access tokens (or `{SECRET_KEY}` in `.dlt/secrets.toml`; the simulator's own when it is started here); never logged",
    )
    page_size: int = Field(100, description="rows per report page")
    timeout_seconds: float = Field(10.0, description="per-request timeout")
    max_attempts: int = Field(6, description="attempts per request on 429/5xx/timeouts")
    backoff_seconds: float = Field(0.5, description="first retry backoff (doubles, equal jitter)")
    backoff_max_seconds: float = Field(30.0, description="cap of the retry backoff")
    max_retry_after_seconds: float = Field(
        300.0, description="a longer `Retry-After` fails the pull instead of waiting"
    )
    lookback_days: int = Field(
        3,
        description="days before the scheduled day that every daily run pulls again (late and revised data)",
    )
    catchup_days: int = Field(
        14, description="days ending yesterday that `adreports_refresh` (`make materialize`) pulls"
    )
    min_median_ratio: float = Field(
        0.5,
        description="volume check: a day below this share of the trailing median (rows or earnings) fails",
    )
    warn_median_ratio: float = Field(
        0.9,
        description="volume check: a day below this share of the same-weekday median is flagged",
    )
    alert_webhook_url: str | None = Field(
        None, description="where the alert sensors POST failed checks and failed runs (JSON)"
    )
    sim_profile: str = Field(
        "mild",
        description="fault profile of the simulated provider `make materialize` starts (`none`, `mild`)",
    )

    def url(self) -> str | None:
        """The provider URL from ``ADREPORTS_API_URL`` or dlt's config, if any."""
        return self.api_url or _from_dlt(URL_KEY)

    def token(self) -> str | None:
        return self.api_token.get_secret_value() if self.api_token else _from_dlt(SECRET_KEY)


def _from_dlt(key: str) -> str | None:
    """A value from dlt's config/secrets providers (``.dlt/secrets.toml``, env), if any."""
    import dlt

    try:
        value = dlt.secrets.get(key)
    except Exception:
        return None
    return str(value) if value else None


class ProviderNotConfigured(RuntimeError):
    """No provider to pull from: the URL or its token is missing."""


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach the report API and how patiently."""

    url: str
    token: str = field(repr=False)
    page_size: int = 100
    timeout_seconds: float = 10.0
    max_attempts: int = 6
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    max_retry_after_seconds: float = 300.0

    @classmethod
    def from_env(cls) -> ProviderConfig:
        env = AdreportsSettings()
        url, token = env.url(), env.token()
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
        tuning = env.model_dump(include=set(cls.__dataclass_fields__) - {"url", "token"})
        return cls(url=url.rstrip("/"), token=token, **tuning)


def yesterday() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
