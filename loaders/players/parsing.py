"""Split player-event files into lines and sort out the structurally broken ones.

One vectorised DuckDB pass puts every line read into exactly one of two Arrow tables:

- ``events``: the line is valid UTF-8, not blank, valid JSON and a JSON object. The raw JSON
  text is kept as is with its file and line, so "first occurrence in input order" (file name,
  then line) is well defined downstream. Field-level rules (types, unknown event types,
  duplicates, registrations …) are dbt's job: each is its own documented, tested model step.
- ``quarantine``: everything else, with the raw text and the reason.

The time-zone file (JSON lines of ``{"country": …, "timezone": …}``) is parsed the same way;
lines without two non-empty strings, or naming a zone Python's ``zoneinfo`` does not know,
are skipped (their countries then have no time zone, which quarantines their registrations).
"""

from __future__ import annotations

import zoneinfo

import pyarrow as pa

from loaders.incremental_files import LINE_QUARANTINE_SCHEMA, lines_table, split_classified
from tributary import duck

__all__ = ["EVENTS_SCHEMA", "QUARANTINE_SCHEMA", "TIMEZONES_SCHEMA", "lines_table", "validate"]

EVENTS_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("event_date", pa.string()),  # the lake partition (loaders.players.lake)
    ]
)

QUARANTINE_SCHEMA = LINE_QUARANTINE_SCHEMA

TIMEZONES_SCHEMA = pa.schema(
    [
        pa.field("country", pa.string(), nullable=False),
        pa.field("timezone", pa.string(), nullable=False),
    ]
)

_CLASSIFY = """
SELECT source_file, line_number, raw,
    CASE
        WHEN NOT utf8_ok THEN 'line is not valid UTF-8'
        WHEN trim(raw) = '' THEN 'line is empty'
        WHEN NOT json_valid(raw) THEN 'line is not valid JSON'
        WHEN json_type(raw::JSON) <> 'OBJECT' THEN 'line is not a JSON object'
    END AS reason
FROM lines_in
"""


# The UTC day of a valid line's event_timestamp (a JSON integer from 1970 to 9999), else null:
# only the lake partition the line lands in, no rule (dbt decides what is valid).
_EVENT_DATE = """
    CASE WHEN json_type(raw, '$.event_timestamp') IN ('UBIGINT', 'BIGINT') THEN
        strftime(to_timestamp(CASE
            WHEN try_cast(json_extract_string(raw, '$.event_timestamp') AS BIGINT)
                BETWEEN 0 AND 253402300799
            THEN try_cast(json_extract_string(raw, '$.event_timestamp') AS BIGINT)
        END), '%Y-%m-%d')
    END AS event_date
"""


def validate(lines: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Split a lines table into (events, quarantine) Arrow tables."""
    return split_classified(
        lines, _CLASSIFY, f"source_file, line_number, raw, {_EVENT_DATE}", EVENTS_SCHEMA
    )


def parse_timezones(data: bytes | None) -> pa.Table:
    """Country → IANA zone; the first valid line per country wins."""
    if not data:
        return TIMEZONES_SCHEMA.empty_table()
    lines = lines_table({"timezones": data})
    con = duck.connect()
    try:
        con.register("lines_in", lines)
        rows = con.execute(
            """
            WITH parsed AS (
                SELECT line_number, raw::JSON AS doc
                FROM lines_in
                WHERE utf8_ok AND json_valid(raw) AND json_type(raw::JSON) = 'OBJECT'
            )
            SELECT doc ->> '$.country' AS country, doc ->> '$.timezone' AS timezone
            FROM parsed
            WHERE json_type(doc, '$.country') = 'VARCHAR' AND json_type(doc, '$.timezone') = 'VARCHAR'
              AND (doc ->> '$.country') <> '' AND (doc ->> '$.timezone') <> ''
            ORDER BY line_number
            """
        ).fetchall()
    finally:
        con.close()
    known = zoneinfo.available_timezones()
    zones: dict[str, str] = {}
    for country, zone in rows:
        if zone in known and country not in zones:
            zones[country] = zone
    return pa.table(
        {"country": list(zones), "timezone": list(zones.values())}, schema=TIMEZONES_SCHEMA
    )
