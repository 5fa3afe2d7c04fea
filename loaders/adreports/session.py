"""The HTTP session the dlt ``rest_api`` source sends every request through.

- Bearer auth with an OAuth-style refresh: ``ADREPORTS_API_TOKEN`` is the long-lived refresh
  token; short-lived access tokens come from ``POST /v1/oauth/token``. A 401 triggers exactly
  one refresh and a resend; a second 401 fails with :class:`ProviderAuthError`. (dlt 1.31's
  auth classes cover static bearer tokens and client-credentials OAuth, not refresh tokens.)
- Retries for 429, 5xx, timeouts, dropped or cut-off connections and 200s whose body is not a
  report page (a proxy's HTML error page): exponential backoff with equal jitter, never
  shorter than the provider's ``Retry-After`` (seconds or an HTTP date); after
  ``max_attempts`` that day fails with :class:`ProviderUnavailable`, its reason kept in the
  :class:`PageLog`, and its pagination stops; the pull's other days go on.
- Every successful page is handed to a :class:`PageLog` (page numbers and the provider's
  report total) so completeness can be checked after the load.

dlt's own response hooks (raise-for-status) run only on the final answer, not on the
attempts being retried. Tokens only ever travel in headers and form bodies, never in URLs or
log lines.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import requests
from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException
from requests.exceptions import ChunkedEncodingError
from requests.hooks import default_hooks, dispatch_hook

from loaders.adreports.settings import AdreportsSettings

log = logging.getLogger("tributary.adreports")

REPORT_PATH = "v1/reports/mediation"
TOKEN_PATH = "v1/oauth/token"


class ProviderError(RuntimeError):
    """The pull could not get a complete answer from the provider."""


class ProviderAuthError(ProviderError):
    """The provider refused our credentials, even after one token refresh."""


class ProviderUnavailable(ProviderError):
    """Still 429/5xx/timeouts after every allowed attempt."""


def _day(url: str | None) -> str:
    return parse_qs(urlsplit(url or "").query).get("start_date", [""])[0]


def _page(response: requests.Response) -> dict | None:
    """The report page in ``response``, or None when its body is not one."""
    try:
        body = response.json()
        number, pages = body["page"]["number"], body["page"]["total_pages"]
        ok = isinstance(body["rows"], list) and all(type(n) is int for n in (number, pages))
    except (ValueError, TypeError, KeyError, requests.RequestException):
        return None
    return body if ok and 1 <= number <= pages else None


@dataclass
class PageLog:
    """What each successful report page said about itself, per report day; why a day failed at
    the provider; the rows set aside as not valid report rows (day, raw JSON, reason)."""

    pages: dict[str, dict[int, dict]] = field(default_factory=dict)
    retries: int = 0
    token_refreshes: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    quarantine: list[tuple[str, str, str]] = field(default_factory=list)

    def record(self, response: requests.Response, body: dict) -> None:
        self.pages.setdefault(_day(response.request.url), {})[body["page"]["number"]] = {
            "rows": len(body["rows"]),
            "total_pages": body["page"]["total_pages"],
            "report_total": body.get("report_total"),
        }


def backoff_delay(
    attempt: int, base: float, cap: float, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential with equal
    jitter, capped, and never less than the provider's Retry-After."""
    exp = min(cap, base * 2 ** (attempt - 1))
    delay = exp / 2 + rng.uniform(0, exp / 2)
    return max(delay, retry_after or 0.0)


def _retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds from now: delay-seconds or an HTTP date (RFC 9110)."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - dt.datetime.now(dt.UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class ProviderSession(requests.Session):
    """A ``requests.Session`` with the provider's auth, retry and page bookkeeping."""

    def __init__(
        self,
        config: AdreportsSettings,
        page_log: PageLog | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        if not config.api_url:
            raise ValueError("ProviderSession needs a provider URL")
        self.config = config
        self.page_log = page_log or PageLog()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._token_url = f"{config.api_url}/{TOKEN_PATH}"
        self._access_token: str | None = None

    # -- auth -----------------------------------------------------------------------------
    def refresh_access_token(self) -> None:
        response = super().send(
            requests.Request(
                "POST",
                self._token_url,
                data={"grant_type": "refresh_token", "refresh_token": self.config.api_token},
            ).prepare(),
            timeout=self.config.timeout_seconds,
        )
        if response.status_code in (400, 401, 403):
            raise ProviderAuthError(
                f"the provider refused the API token (HTTP {response.status_code} from the "
                "token endpoint): check ADREPORTS_API_TOKEN"
            )
        if response.status_code != 200:
            raise ProviderUnavailable(f"token endpoint answered HTTP {response.status_code}")
        self._access_token = response.json()["access_token"]

    # -- sending ----------------------------------------------------------------------------
    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        if request.url == self._token_url:
            return super().send(request, **kwargs)
        try:
            return self._send_report(request, **kwargs)
        except ProviderAuthError:
            raise  # every day would fail alike: the pull fails
        except ProviderError as exc:
            # That day fails with this reason; dlt ends its pagination, the other days go on.
            self.page_log.failed[_day(request.url)] = str(exc)
            raise IgnoreResponseException from exc

    def _send_report(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        kwargs["timeout"] = self.config.timeout_seconds
        hooks, request.hooks = request.hooks, default_hooks()
        refreshed = False
        attempt = 0
        while True:
            if self._access_token is None:
                self.refresh_access_token()
            request.headers["Authorization"] = f"Bearer {self._access_token}"
            attempt += 1
            try:
                response = super().send(request, **kwargs)
            except (requests.Timeout, requests.ConnectionError, ChunkedEncodingError) as exc:
                self._wait(attempt, None, type(exc).__name__)
                continue
            if response.status_code == 401:
                if refreshed:
                    raise ProviderAuthError(
                        "HTTP 401 again right after refreshing the access token: the provider "
                        "does not accept our credentials (check ADREPORTS_API_TOKEN)"
                    )
                refreshed = True
                attempt -= 1  # a refresh is not a retry of a failure
                self.page_log.token_refreshes += 1
                log.warning("adreports: access token rejected (HTTP 401); refreshing it once")
                self.refresh_access_token()
                continue
            if response.status_code == 429 or response.status_code >= 500:
                self._wait(attempt, _retry_after(response), f"HTTP {response.status_code}")
                continue
            if response.status_code != 200:
                raise ProviderError(
                    f"HTTP {response.status_code} from the report API: {response.text:.200}"
                )
            if (page := _page(response)) is not None:
                break
            kind = response.headers.get("Content-Type")
            self._wait(attempt, None, f"HTTP 200 with a body that is not a report page ({kind})")
        request.hooks = hooks
        self.page_log.record(response, page)
        return dispatch_hook("response", hooks, response, **kwargs)

    def _wait(self, attempt: int, retry_after: float | None, reason: str) -> None:
        if attempt >= self.config.max_attempts:
            raise ProviderUnavailable(
                f"{reason} from the report API, still after {attempt} attempts; giving up"
            )
        if retry_after is not None and retry_after > self.config.max_retry_after_seconds:
            raise ProviderUnavailable(
                f"{reason}: the provider asks to wait {retry_after:.0f} s "
                f"(over ADREPORTS_MAX_RETRY_AFTER_SECONDS={self.config.max_retry_after_seconds:.0f})"
            )
        delay = backoff_delay(
            attempt,
            self.config.backoff_seconds,
            self.config.backoff_max_seconds,
            retry_after,
            self.rng,
        )
        self.page_log.retries += 1
        log.warning(
            "adreports: %s; retry %d of %d in %.2f s",
            reason,
            attempt,
            self.config.max_attempts - 1,
            delay,
        )
        self.sleep(delay)
