"""The usual line shape, recognised and taken apart in one compiled pass over a batch's bytes.

Producers write event lines with ``json.dumps``: the four keys in order, ``": "`` / ``", "``
or no spaces, plain strings. :func:`shape_columns` proves, line by line, that a line is exactly

    {"user": "<u>", "timestamp": "<YYYY-MM-DD HH:MM:SS>", "evtname": "<e>"[, "spend": "<d>" | null]}

(each optional space may be missing) with ``<u>`` and ``<e>`` non-empty JSON strings without
escapes or control characters (so the text between the quotes is the value), the timestamp a
real date-time (year 1 or later, hour 0 to 23, seconds 0 to 59, the day within its month) and
``<d>`` a decimal of 1 to 18 integer digits and none or 1 to 10 decimal ones; and it copies the
four values out. Such a line passes every rule of :mod:`loaders.gaming.parsing` with these values, so the
validation query only needs to look at the other lines (the defects, ~1 %, and valid lines
written differently), which it classifies rule by rule as before. The scanner only ever
accepts less than the rules: a line it passes over is decided by the query.

Compiled with numba on first use (cached next to this file, or under ``NUMBA_CACHE_DIR``); it
runs without the GIL, in the gaming load's worker threads, beside DuckDB: 0.2 s per 1M lines on one core (0.12 s the scan,
0.07 s copying the values out), against 0.45 s for the regular expression that did this inside
the validation query.
"""

from __future__ import annotations

import os
from pathlib import Path

import numba
import numpy as np
import pyarrow as pa

QUOTE, BACKSLASH, COMMA, SPACE, COLON, DASH, DOT, CLOSE = (ord(c) for c in '"\\, :-.}')
ZERO = ord("0")
USER, TIMESTAMP, EVTNAME, SPEND, NULL = (
    np.frombuffer(text, np.uint8)
    for text in (b'{"user":', b'"timestamp":', b'"evtname":', b'"spend":', b"null")
)
# bounds rows: where each line's values start and end in the batch's bytes (-1: none)
USER_START, USER_END, TS_START, EVT_START, EVT_END, SPEND_START, SPEND_END = range(7)
TS_LENGTH = 19

# Compiled code is cached beside this file or under NUMBA_CACHE_DIR; where neither can be
# written (a read-only install without it), each process compiles once (about 5 s).
_CACHE = bool(numba.config.CACHE_DIR) or os.access(Path(__file__).parent, os.W_OK)
_jit = numba.njit(cache=_CACHE, nogil=True, boundscheck=False, error_model="numpy")
_inline = numba.njit(  # the scanner's steps, inlined into it: twice as fast as calls
    cache=_CACHE, nogil=True, boundscheck=False, error_model="numpy", inline="always"
)


@_inline
def _literal(buf, i, end, text):
    """The index after ``text`` when ``buf[i:]`` starts with it, else -1."""
    if i + text.shape[0] > end:
        return -1
    for k in range(text.shape[0]):
        if buf[i + k] != text[k]:
            return -1
    return i + text.shape[0]


@_inline
def _space(buf, i, end):
    """The index after one optional space."""
    return i + 1 if i < end and buf[i] == SPACE else i


@_inline
def _plain_string(buf, i, end):
    """The index after a non-empty JSON string at ``i`` without escapes or control
    characters, else -1."""
    if i >= end or buf[i] != QUOTE:
        return -1
    start = i + 1
    i = start
    while i < end and buf[i] != QUOTE:
        if buf[i] == BACKSLASH or buf[i] < SPACE:
            return -1
        i += 1
    if i >= end or i == start:
        return -1
    return i + 1


@_inline
def _field(buf, i, end, key):
    """The index after ``, ?"key": ?`` at ``i``, else -1."""
    if i >= end or buf[i] != COMMA:
        return -1
    i = _literal(buf, _space(buf, i + 1, end), end, key)
    return -1 if i < 0 else _space(buf, i, end)


@_inline
def _two_digits(buf, i):
    """The number written by the two ASCII digits at ``i``, else -1."""
    high, low = np.int64(buf[i]) - ZERO, np.int64(buf[i + 1]) - ZERO
    if high < 0 or high > 9 or low < 0 or low > 9:
        return -1
    return high * 10 + low


@_inline
def _real_timestamp(buf, i):
    """``buf[i:i+19]`` is a real ``YYYY-MM-DD HH:MM:SS`` (year 1 or later)."""
    if (
        buf[i + 4] != DASH
        or buf[i + 7] != DASH
        or buf[i + 10] != SPACE
        or buf[i + 13] != COLON
        or buf[i + 16] != COLON
    ):
        return False
    century, year = _two_digits(buf, i), _two_digits(buf, i + 2)
    month, day = _two_digits(buf, i + 5), _two_digits(buf, i + 8)
    hour, minute, second = (
        _two_digits(buf, i + 11),
        _two_digits(buf, i + 14),
        _two_digits(buf, i + 17),
    )
    if min(century, year, month, day, hour, minute, second) < 0:
        return False
    year += century * 100
    if year < 1 or not 1 <= month <= 12 or day < 1 or hour > 23 or minute > 59 or second > 59:
        return False
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        return day <= (29 if leap else 28)
    return day <= (30 if month == 4 or month == 6 or month == 9 or month == 11 else 31)


@_inline
def _digits(buf, i, end):
    """The index after the ASCII digits at ``i``."""
    while i < end and ZERO <= buf[i] <= ZERO + 9:
        i += 1
    return i


@_jit
def _scan(buf, offsets, utf8_ok, keys, bounds):
    """Which lines have the usual shape; ``bounds`` gets where their values are."""
    user_key, timestamp_key, evtname_key, spend_key, null = keys
    lines = offsets.shape[0] - 1
    ok = np.zeros(lines, np.bool_)
    for line in range(lines):
        i, end = offsets[line], offsets[line + 1]
        if not utf8_ok[line]:
            continue
        i = _literal(buf, i, end, user_key)
        if i < 0:
            continue
        i = _space(buf, i, end)
        user = i + 1
        i = _plain_string(buf, i, end)
        if i < 0:
            continue
        user_end = i - 1
        i = _field(buf, i, end, timestamp_key)
        if i < 0 or i + TS_LENGTH + 2 > end or buf[i] != QUOTE or buf[i + TS_LENGTH + 1] != QUOTE:
            continue
        if not _real_timestamp(buf, i + 1):
            continue
        timestamp = i + 1
        i = _field(buf, i + TS_LENGTH + 2, end, evtname_key)
        if i < 0:
            continue
        evtname = i + 1
        i = _plain_string(buf, i, end)
        if i < 0:
            continue
        evtname_end = i - 1
        spend, spend_end = -1, -1
        if i < end and buf[i] == COMMA:
            i = _field(buf, i, end, spend_key)
            if i < 0:
                continue
            if _literal(buf, i, end, null) >= 0:
                i += null.shape[0]
            elif i < end and buf[i] == QUOTE:
                spend = i + 1
                i = _digits(buf, spend, end)
                if not 1 <= i - spend <= 18:
                    continue
                if i < end and buf[i] == DOT:
                    fraction = i + 1
                    i = _digits(buf, fraction, end)
                    if not 1 <= i - fraction <= 10:
                        continue
                if i >= end or buf[i] != QUOTE:
                    continue
                spend_end = i
                i += 1
            else:
                continue
        if i + 1 != end or buf[i] != CLOSE:
            continue
        ok[line] = True
        bounds[USER_START, line], bounds[USER_END, line] = user, user_end
        bounds[TS_START, line] = timestamp
        bounds[EVT_START, line], bounds[EVT_END, line] = evtname, evtname_end
        bounds[SPEND_START, line], bounds[SPEND_END, line] = spend, spend_end
    return ok


@_jit
def _gather(buf, ok, starts, ends):
    """One string column: the bytes ``buf[starts[i]:ends[i]]`` of every line that is ``ok``
    and has the value (``starts[i] >= 0``): Arrow offsets, data and validity."""
    lines = ok.shape[0]
    offsets = np.zeros(lines + 1, np.int32)
    valid = np.zeros(lines, np.bool_)
    total = 0
    for line in range(lines):
        if ok[line] and starts[line] >= 0:
            valid[line] = True
            total += ends[line] - starts[line]
        offsets[line + 1] = total
    data = np.empty(total, np.uint8)
    for line in range(lines):
        if valid[line]:
            data[offsets[line] : offsets[line + 1]] = buf[starts[line] : ends[line]]
    return offsets, data, valid


def _string_array(offsets: np.ndarray, data: np.ndarray, valid: np.ndarray) -> pa.Array:
    validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(
        len(valid), pa.py_buffer(offsets), pa.py_buffer(data), validity
    )


def shape_columns(raw: pa.Array, utf8_ok: pa.Array) -> tuple[pa.Array, list[pa.Array]]:
    """For a lines table's ``raw`` (a ``string`` array) and ``utf8_ok`` (a ``bool`` array):
    whether each line has the usual shape, and its user, timestamp, evtname and spend (null
    where it has not, and spend null where the line has none)."""
    offsets = np.frombuffer(raw.buffers()[1], np.int32, len(raw) + 1, raw.offset * 4)
    data = raw.buffers()[2]
    buf = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    flags = utf8_ok.to_numpy(zero_copy_only=False)
    bounds = np.empty((7, len(raw)), np.int64)
    ok = _scan(buf, offsets, flags, (USER, TIMESTAMP, EVTNAME, SPEND, NULL), bounds)
    values = [
        _gather(buf, ok, bounds[USER_START], bounds[USER_END]),
        _gather(buf, ok, bounds[TS_START], bounds[TS_START] + TS_LENGTH),
        _gather(buf, ok, bounds[EVT_START], bounds[EVT_END]),
        _gather(buf, ok, bounds[SPEND_START], bounds[SPEND_END]),
    ]
    return pa.array(ok), [_string_array(*v) for v in values]
