"""Where the provider is and how hard to try: read from the environment (or dlt's secrets).

``ADREPORTS_API_URL`` and ``ADREPORTS_API_TOKEN`` say which provider to pull from. The loader
never starts one itself: with no configuration, whoever runs the pull starts the simulated
provider and sets both (``scripts/serve.sh``, ``make materialize`` through
:mod:`orchestration.lib.embedded`, the tests' fixtures).
``ADREPORTS_API_TOKEN`` is a secret: it is kept out of ``repr`` and never logged.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

SECRET_KEY = "sources.adreports.api_token"
URL_KEY = "sources.adreports.api_url"


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


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


def configured_url() -> str | None:
    """The provider URL from ``ADREPORTS_API_URL`` or dlt's config, if any."""
    return os.environ.get("ADREPORTS_API_URL", "").strip() or _from_dlt(URL_KEY)


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
        url = configured_url()
        token = os.environ.get("ADREPORTS_API_TOKEN", "").strip() or _from_dlt(SECRET_KEY)
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
        return cls(
            url=url.rstrip("/"),
            token=token,
            page_size=_env_int("ADREPORTS_PAGE_SIZE", 100),
            timeout_seconds=_env_float("ADREPORTS_TIMEOUT_SECONDS", 10.0),
            max_attempts=_env_int("ADREPORTS_MAX_ATTEMPTS", 6),
            backoff_seconds=_env_float("ADREPORTS_BACKOFF_SECONDS", 0.5),
            backoff_max_seconds=_env_float("ADREPORTS_BACKOFF_MAX_SECONDS", 30.0),
            max_retry_after_seconds=_env_float("ADREPORTS_MAX_RETRY_AFTER_SECONDS", 300.0),
        )


def lookback_days() -> int:
    """Days before the scheduled day that every daily run pulls again (late and revised data)."""
    return _env_int("ADREPORTS_LOOKBACK_DAYS", 3)


def catchup_days() -> int:
    """Days ending yesterday that ``adreports_refresh`` (``make materialize``) pulls."""
    return _env_int("ADREPORTS_CATCHUP_DAYS", 14)


def min_median_ratio() -> float:
    """Below this share of the trailing median (rows or earnings) a day fails (blocked)."""
    return _env_float("ADREPORTS_MIN_MEDIAN_RATIO", 0.5)


def warn_median_ratio() -> float:
    """Below this share of the same-weekday median a day is accepted but flagged."""
    return _env_float("ADREPORTS_WARN_MEDIAN_RATIO", 0.9)


def yesterday() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
