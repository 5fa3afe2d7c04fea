"""The provider's deterministic report data: the same rows for the same day, every time.

One row per (date, app, ad unit, country, ad source) with requests, impressions, clicks and
estimated earnings in micros. Values come from a hash of the row's key, with a weekday
pattern (weekends earn more), so an expected answer can always be recomputed from scratch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache

APPS = [
    ("app-puzzle", "Puzzle Quest"),
    ("app-racer", "Turbo Racer"),
    ("app-farm", "Happy Farm"),
]
AD_UNITS = [("banner", "Banner"), ("interstitial", "Interstitial"), ("rewarded", "Rewarded")]
COUNTRIES = ["US", "DE", "JP", "BR", "IN", "GB"]
AD_SOURCES = [
    ("admob-network", "AdMob Network"),
    ("meta-audience", "Meta Audience Network"),
    ("applovin", "AppLovin"),
]
# Weekend days bring more traffic: Monday .. Sunday.
WEEKDAY_FACTOR = [1.0, 0.95, 0.97, 1.0, 1.1, 1.35, 1.3]
COUNTRY_ECPM_MICROS = {"US": 9_000_000, "GB": 7_000_000, "DE": 6_500_000, "JP": 6_000_000}

METRICS = ("ad_requests", "impressions", "clicks", "estimated_earnings_micros")


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) for the given key."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@lru_cache(maxsize=512)
def day_rows(day: dt.date, seed: int = 7) -> tuple[dict, ...]:
    """Every row of one day in natural-key order (the full, final data of that day)."""
    rows = []
    factor = WEEKDAY_FACTOR[day.weekday()]
    for app_id, app_name in APPS:
        for unit_key, unit_name in AD_UNITS:
            ad_unit_id = f"{app_id}/{unit_key}"
            for country in COUNTRIES:
                for source_id, source_name in AD_SOURCES:
                    u = unit_hash(seed, day, ad_unit_id, country, source_id)
                    requests = int((2_000 + 18_000 * u) * factor)
                    impressions = int(requests * (0.55 + 0.4 * unit_hash(seed, "fill", day, u)))
                    clicks = int(impressions * (0.005 + 0.03 * unit_hash(seed, "ctr", u)))
                    ecpm = COUNTRY_ECPM_MICROS.get(country, 2_000_000)
                    earnings = impressions * ecpm // 1000
                    earnings += int(unit_hash(seed, "cents", u) * 1_000_000)
                    rows.append(
                        {
                            "report_date": day.isoformat(),
                            "app_id": app_id,
                            "app_name": app_name,
                            "ad_unit_id": ad_unit_id,
                            "ad_unit_name": f"{app_name} {unit_name}",
                            "country": country,
                            "ad_source_id": source_id,
                            "ad_source_name": source_name,
                            "ad_requests": requests,
                            "impressions": impressions,
                            "clicks": clicks,
                            "estimated_earnings_micros": earnings,
                        }
                    )
    return tuple(rows)


def totals(rows: list[dict]) -> dict[str, int]:
    """The report total the provider sends with every page: row count and metric sums."""
    out = {"row_count": len(rows)}
    for metric in METRICS:
        out[metric] = sum(r[metric] for r in rows)
    return out
