"""Device-local wall-clock time → UTC, from the time zone at (lat, long).

The zone comes from an offline polygon lookup (timezonefinder, ~3 µs a point); at sea it
answers the nautical zone ``Etc/GMT±h``. The rule for wall-clock times a zone does not map
one-to-one (PEP 495 ``fold=0``, what ``zoneinfo`` does by default):

- gap (spring forward, e.g. 02:30 on 2017-03-12 in New York does not exist): the time is
  read with the offset in force *before* the transition, as if the device had not switched
  yet — 02:30 EST = 07:30 UTC (the same instant as 03:30 EDT);
- overlap (fall back, e.g. 01:30 on 2017-11-05 happens twice in New York): the *first*
  occurrence is taken — 01:30 EDT = 05:30 UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from timezonefinder import TimezoneFinder


@cache
def _finder() -> TimezoneFinder:
    return TimezoneFinder(in_memory=True)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name(lat: float, long: float) -> str:
    """IANA name of the zone at (lat, long); the nautical zone where no polygon matches."""
    name = _finder().timezone_at(lng=long, lat=lat)
    if name is None:
        hours = round(long / 15)
        name = "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"
    return name


# UTC offset (fold=0) per (zone, local minute): since 1970 every zone changes offset on a minute
# boundary, so it is constant within a wall-clock minute; bounded by clearing.
_offsets: dict[tuple[str, datetime], timedelta] = {}
_MAX_CACHED = 200_000


def to_utc(local: datetime, zone: str) -> datetime:
    """The naive UTC time of the naive wall-clock time ``local`` in ``zone`` (rule above)."""
    if local.year < 1970:  # local mean times with odd-second transitions: no cache
        return local - local.replace(tzinfo=_zone(zone), fold=0).utcoffset()
    minute = local.replace(second=0, microsecond=0)
    key = (zone, minute)
    offset = _offsets.get(key)
    if offset is None:
        if len(_offsets) >= _MAX_CACHED:
            _offsets.clear()
        offset = _offsets[key] = minute.replace(tzinfo=_zone(zone), fold=0).utcoffset()
    return local - offset
