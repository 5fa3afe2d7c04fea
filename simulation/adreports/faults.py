"""What the simulated provider does wrong, on command: the fault state behind the server.

Transient faults (5xx, timeouts, 429) are one-shot and hit the next report requests in order;
a fault profile adds them at random (seeded) to every request; ``retry_after_as_date`` answers
429 with ``Retry-After`` as an HTTP date until that moment. Day faults (empty day, truncated
last page, dropped page, revised figure; a 200 page with an HTML proxy error, a body cut off
mid-transfer, a null report total, a bad value in one row; ``page`` limits the first two to one
page) stay until cleared, like a provider bug; a late day heals as the provider's clock
(``today``) moves on.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from simulation.adreports.report import day_rows, unit_hash

PROFILES = {
    # Transient trouble only: every fault heals with retries, the data stays right.
    "none": {"error_rate": 0.0, "rate_limit_rate": 0.0, "timeout_rate": 0.0},
    "mild": {"error_rate": 0.06, "rate_limit_rate": 0.04, "timeout_rate": 0.0},
}
DAY_FAULTS = ("empty_day", "truncate_last_page", "drop_page", "late_day", "revise")
DAY_FAULTS += ("html", "truncated", "null_total", "bad_metric")


@dataclass
class Transient:
    kind: str  # error | timeout | rate_limit
    status: int = 503
    seconds: float = 2.0
    retry_after: int = 1


@dataclass
class ProviderState:
    """Everything the server knows; guarded by ``lock`` (the server is threaded)."""

    refresh_token: str
    seed: int = 7
    profile: str = "none"
    today: dt.date | None = None
    rate_limit_per_second: int = 50
    lock: threading.Lock = field(default_factory=threading.Lock)
    access_tokens: set[str] = field(default_factory=set)
    issued_tokens: list[str] = field(default_factory=list)
    refresh_revoked: bool = False
    expire_after: int | None = None
    reject_tokens: bool = False
    transient: deque[Transient] = field(default_factory=deque)
    days: dict[str, dict[dt.date, dict]] = field(default_factory=dict)
    requests_log: list[dict] = field(default_factory=list)
    recent: deque[float] = field(default_factory=deque)
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    blocked_until: float = 0.0  # epoch seconds: 429 with an HTTP-date Retry-After until then

    # -- clock and tokens ---------------------------------------------------------------------
    def current_day(self) -> dt.date:
        return self.today or dt.datetime.now(dt.UTC).date()

    def issue_token(self, refresh_token: str) -> str | None:
        with self.lock:
            if refresh_token != self.refresh_token or self.refresh_revoked:
                return None
            token = f"at-{uuid.uuid4().hex}"
            self.access_tokens.add(token)
            self.issued_tokens.append(token)
            return token

    def token_valid(self, token: str) -> bool:
        """Whether a report request may use ``token`` (counts down a pending expiry)."""
        with self.lock:
            if self.expire_after is not None:
                self.expire_after -= 1
                if self.expire_after < 0:
                    self.access_tokens.clear()
                    self.expire_after = None
            return token in self.access_tokens and not self.reject_tokens

    # -- faults -------------------------------------------------------------------------------
    def apply(self, fault: dict) -> None:
        """Add one fault (see README "Domain: adreports" for the list)."""
        kind = fault["kind"]
        with self.lock:
            if kind in ("error", "timeout", "rate_limit"):
                one = Transient(
                    kind=kind,
                    status=int(fault.get("status", 503)),
                    seconds=float(fault.get("seconds", 2.0)),
                    retry_after=int(fault.get("retry_after", 1)),
                )
                self.transient.extend([one] * int(fault.get("count", 1)))
            elif kind == "expire_token":
                # Now, or after the next ``after_requests`` report requests (mid-pull).
                after = int(fault.get("after_requests", 0))
                if after:
                    self.expire_after = after
                else:
                    self.access_tokens.clear()
            elif kind == "retry_after_as_date":
                self.blocked_until = math.ceil(time.time() + float(fault.get("seconds", 2)))
            elif kind == "reject_tokens":
                self.reject_tokens = True  # even fresh access tokens get 401
            elif kind == "revoke_refresh_token":
                self.access_tokens.clear()
                self.refresh_revoked = True
            elif kind in DAY_FAULTS:
                day = dt.date.fromisoformat(fault["date"])
                self.days.setdefault(kind, {})[day] = fault
            elif kind == "clear_day":
                day = dt.date.fromisoformat(fault["date"])
                for faults in self.days.values():
                    faults.pop(day, None)
            else:
                raise ValueError(f"unknown fault kind {kind!r}")

    def next_transient(self) -> Transient | None:
        """The queued fault for this request, else one drawn from the profile, else None."""
        with self.lock:
            if self.transient:
                return self.transient.popleft()
            rates = PROFILES[self.profile]
            draw = self.rng.random()
            if draw < rates["error_rate"]:
                return Transient("error", status=self.rng.choice([500, 502, 503]))
            draw -= rates["error_rate"]
            if draw < rates["rate_limit_rate"]:
                return Transient("rate_limit", retry_after=1)
            draw -= rates["rate_limit_rate"]
            if draw < rates["timeout_rate"]:
                return Transient("timeout", seconds=5.0)
            return None

    def over_rate_limit(self) -> bool:
        """Sliding one-second window over all report requests."""
        now = time.monotonic()
        with self.lock:
            while self.recent and now - self.recent[0] > 1.0:
                self.recent.popleft()
            if len(self.recent) >= self.rate_limit_per_second:
                return True
            self.recent.append(now)
            return False

    def day_fault(self, kind: str, *days: dt.date) -> dict | None:
        """The fault ``kind`` set on the first of ``days`` that has one."""
        return next((f for d in days if (f := self.days.get(kind, {}).get(d))), None)

    def log(self, entry: dict) -> None:
        with self.lock:
            self.requests_log.append(entry)

    # -- data ---------------------------------------------------------------------------------
    def rows_for(self, day: dt.date) -> list[dict]:
        """What the provider has for ``day`` right now, faults applied."""
        today = self.current_day()
        if day > today or self.day_fault("empty_day", day):
            return []
        rows = list(day_rows(day, self.seed))
        late = self.day_fault("late_day", day)
        if late:
            # Grows from 1/k of the rows the day after to all of them k days after; nothing
            # on the day itself.
            k = max(1, int(late.get("days_to_complete", 3)))
            share = min(1.0, (today - day).days / k)
            rows = [
                r
                for r in rows
                if unit_hash(self.seed, "late", r["ad_unit_id"], r["country"], r["ad_source_id"])
                < share
            ]
        revision = self.day_fault("revise", day)
        if revision:
            factor = float(revision.get("factor", 1.1))
            app = revision.get("app_id")
            rows = [
                {**r, "estimated_earnings_micros": int(r["estimated_earnings_micros"] * factor)}
                if app in (None, r["app_id"])
                else r
                for r in rows
            ]
        return rows
