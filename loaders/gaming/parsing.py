"""Split event files into lines and validate them in one vectorised DuckDB pass.

Every line read ends up in exactly one of two Arrow tables: ``events`` (valid) or
``quarantine`` (raw text + reason). Rules, in the order they are checked:

1. the line is valid UTF-8 and not blank;
2. it parses as JSON and is an object;
3. ``user``, ``timestamp`` and ``evtname`` are present, strings, and not empty;
4. ``timestamp`` is a real ``YYYY-MM-DD HH:MM:SS`` date-time (2017-02-30 is not);
5. ``spend``, when present and not null, is a non-negative decimal (a string such as "1.99" or
   a JSON number) with at most 18 integer digits and 10 decimal places. A string keeps its
   exact text; a JSON number is read as JSON (a double) and written back in shortest form.

Unknown extra fields are ignored. ``spend`` keeps its exact text; sums happen as DECIMAL.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from loaders.incremental_files import LINE_QUARANTINE_SCHEMA, lines_table
from tributary import duck

__all__ = ["EVENTS_SCHEMA", "QUARANTINE_SCHEMA", "lines_table", "validate"]

MAX_SPEND_SCALE = 10
MAX_SPEND_INTEGER_DIGITS = 18

EVENTS_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("user", pa.string(), nullable=False),
        pa.field("timestamp", pa.string(), nullable=False),
        pa.field("evtname", pa.string(), nullable=False),
        pa.field("spend", pa.string()),
    ]
)

QUARANTINE_SCHEMA = LINE_QUARANTINE_SCHEMA


_FIELDS = "['$.user', '$.timestamp', '$.evtname', '$.spend']"
_NUMBER = "'UBIGINT', 'BIGINT', 'DOUBLE'"
_TIMESTAMP = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
_DECIMAL = r"[0-9]+(\.[0-9]+)?"
# A spend the rules accept, quoted or bare: at most 18 integer digits and 10 decimal places.
_SPEND = f'"?[0-9]{{1,{MAX_SPEND_INTEGER_DIGITS}}}(\\.[0-9]{{1,{MAX_SPEND_SCALE}}})?"?'


def _plain_string(text: str) -> str:
    """``text`` (a JSON text) is a non-empty string without escapes, so the characters between
    its quotes are its value."""
    return f"""(starts_with({text}, '"') AND length({text}) > 2 AND NOT contains({text}, '\\'))"""


# Three tiers, one projection (input order kept). The *shape path* takes the lines written
# the way producers write them (``json.dumps``: the four keys in order, ``": "`` / ``", "`` or
# no spaces, plain strings): one regular expression over the raw text proves the line is a
# JSON object with user and evtname non-empty strings without escapes or control characters,
# timestamp a quoted ``YYYY-MM-DD HH:MM:SS`` and spend missing, null or a quoted decimal within
# 18 integer digits and 10 decimal places, and its groups are the values (without escapes a
# JSON string's text is its value; no second parse); the timestamp must then cast (hour < 24:
# the cast takes 24). The other lines are parsed as JSON (``json_extract`` of the four
# fields, as JSON texts) and the *fast path* accepts them with one conjunction over those
# texts, each test implying the rule it stands for (spend may also be a bare JSON number
# there). What neither accepts (the defects, ~1 %, a leading space, strings with escapes)
# takes the *slow path*: the rule-by-rule CASE that names the first rule broken (and accepts
# what the others were too strict for).
_STRING = r'"([^"\\\x00-\x1f]+)"'  # a non-empty JSON string without escapes: its value
_SPEND_TEXT = f'"([0-9]{{1,{MAX_SPEND_INTEGER_DIGITS}}}(?:\\.[0-9]{{1,{MAX_SPEND_SCALE}}})?)"'
_SHAPE = (
    rf'^\{{"user": ?{_STRING}, ?"timestamp": ?"({_TIMESTAMP})", ?"evtname": ?{_STRING}'
    rf'(?:, ?"spend": ?(?:{_SPEND_TEXT}|null))?\}}$'
)
_FAST_OK = f"""coalesce(
            utf8_ok
            AND f IS NOT NULL
            AND starts_with(raw, '{{')
            AND {_plain_string("f[1]")}
            AND regexp_full_match(f[2], '"{_TIMESTAMP}"')
            AND substr(f[2], 13, 2) <> '24'
            AND try_cast(substr(f[2], 2, 19) AS TIMESTAMP) IS NOT NULL
            AND {_plain_string("f[3]")}
            AND (f[4] IS NULL OR f[4] = 'null'
                 OR regexp_full_match(f[4], '{_SPEND}')
                    AND starts_with(f[4], '"') = ends_with(f[4], '"')),
            FALSE
        )"""

_CLASSIFY = f"""
WITH shape_values AS (
    SELECT source_file, line_number, raw, utf8_ok,
        CASE WHEN utf8_ok THEN regexp_extract(raw, '{_SHAPE}', ['user', 'ts', 'evtname', 'spend'])
        END AS v
    FROM lines_in
),
shape_checked AS (
    SELECT *,
        coalesce(v.user <> '' AND substr(v.ts, 12, 2) <> '24'
                 AND try_cast(v.ts AS TIMESTAMP) IS NOT NULL, FALSE) AS shape_ok
    FROM shape_values
),
parsed AS (
    SELECT *,
        CASE WHEN NOT shape_ok AND json_valid(raw) THEN json_extract(raw, {_FIELDS}) END AS f
    FROM shape_checked
),
checked AS (
    SELECT *, CASE WHEN shape_ok THEN FALSE ELSE {_FAST_OK} END AS fast_ok FROM parsed
),
classified AS (
    SELECT source_file, line_number, raw, shape_ok, v, fast_ok, f,
        CASE
            WHEN shape_ok OR fast_ok THEN NULL
            WHEN NOT utf8_ok THEN 'line is not valid UTF-8'
            -- a blank line is never valid JSON: trim only the lines that are not
            WHEN f IS NULL THEN
                CASE WHEN trim(raw) = '' THEN 'line is empty' ELSE 'line is not valid JSON' END
            WHEN json_type(raw) <> 'OBJECT' THEN 'line is not a JSON object'
            WHEN json_type(f[1]) IS NULL OR json_type(f[1]) = 'NULL' THEN 'missing field: user'
            WHEN json_type(f[1]) <> 'VARCHAR' THEN 'user is not a string'
            WHEN f[1] ->> '$' = '' THEN 'user is empty'
            WHEN json_type(f[2]) IS NULL OR json_type(f[2]) = 'NULL' THEN 'missing field: timestamp'
            WHEN json_type(f[2]) <> 'VARCHAR' THEN 'timestamp is not a string'
            WHEN NOT regexp_full_match(f[2] ->> '$', '{_TIMESTAMP}')
                THEN 'timestamp is not in the form YYYY-MM-DD HH:MM:SS'
            WHEN try_strptime(f[2] ->> '$', '%Y-%m-%d %H:%M:%S') IS NULL
                THEN 'timestamp is not a real date-time'
            WHEN json_type(f[3]) IS NULL OR json_type(f[3]) = 'NULL' THEN 'missing field: evtname'
            WHEN json_type(f[3]) <> 'VARCHAR' THEN 'evtname is not a string'
            WHEN f[3] ->> '$' = '' THEN 'evtname is empty'
            WHEN json_type(f[4]) IS NULL OR json_type(f[4]) = 'NULL' THEN NULL
            WHEN json_type(f[4]) NOT IN ('VARCHAR', {_NUMBER})
                OR NOT regexp_full_match(
                    CASE WHEN json_type(f[4]) = 'VARCHAR' THEN f[4] ->> '$' ELSE f[4]::VARCHAR END,
                    '{_DECIMAL}')
                THEN 'spend is not a non-negative decimal'
            WHEN length(regexp_extract(
                    CASE WHEN json_type(f[4]) = 'VARCHAR' THEN f[4] ->> '$' ELSE f[4]::VARCHAR END,
                    '\\.([0-9]+)$', 1)) > {MAX_SPEND_SCALE}
                THEN 'spend has more than {MAX_SPEND_SCALE} decimal places'
            WHEN length(split_part(
                    CASE WHEN json_type(f[4]) = 'VARCHAR' THEN f[4] ->> '$' ELSE f[4]::VARCHAR END,
                    '.', 1)) > {MAX_SPEND_INTEGER_DIGITS}
                THEN 'spend is larger than {MAX_SPEND_INTEGER_DIGITS} integer digits'
        END AS reason
    FROM checked
)
SELECT source_file, line_number, reason,
    CASE WHEN reason IS NOT NULL THEN raw END AS raw,
    CASE WHEN shape_ok THEN v.user WHEN reason IS NOT NULL THEN NULL
         WHEN fast_ok THEN substr(f[1], 2, length(f[1]) - 2) ELSE f[1] ->> '$' END AS "user",
    CASE WHEN shape_ok THEN v.ts WHEN reason IS NOT NULL THEN NULL
         WHEN fast_ok THEN substr(f[2], 2, 19) ELSE f[2] ->> '$' END AS "timestamp",
    CASE WHEN shape_ok THEN v.evtname WHEN reason IS NOT NULL THEN NULL
         WHEN fast_ok THEN substr(f[3], 2, length(f[3]) - 2) ELSE f[3] ->> '$' END AS evtname,
    CASE WHEN shape_ok THEN nullif(v.spend, '')
         WHEN reason IS NOT NULL OR f[4] IS NULL OR f[4] = 'null' THEN NULL
         WHEN fast_ok THEN trim(f[4], '"')
         WHEN json_type(f[4]) = 'VARCHAR' THEN f[4] ->> '$'
         WHEN json_type(f[4]) IN ({_NUMBER}) THEN f[4]::VARCHAR END AS spend
FROM classified
"""


_EVENT_COLUMNS = ", ".join(f'"{f.name}"' for f in EVENTS_SCHEMA)


def _in_line_order(lines: pa.Table) -> pa.Table:
    """``lines`` ordered by (source_file, line_number); a lines table (files in listing order,
    lines ascending) already is, and is returned as is."""
    files = lines["source_file"]
    n = lines.num_rows
    if n < 2 or pc.all(pc.less_equal(files.slice(0, n - 1), files.slice(1))).as_py():
        numbers = lines["line_number"]
        later = pc.greater(numbers.slice(1), numbers.slice(0, n - 1))
        same = pc.equal(files.slice(0, n - 1), files.slice(1))
        if n < 2 or pc.all(pc.or_(later, pc.invert(same))).as_py():
            return lines
    return lines.sort_by([("source_file", "ascending"), ("line_number", "ascending")])


def validate(
    lines: pa.Table, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[pa.Table, pa.Table]:
    """Split a lines table into (events, quarantine) Arrow tables, both in file and line order
    (``con``: a DuckDB connection to reuse). One DuckDB query classifies every line, keeping
    input order (insertion order is preserved without ORDER BY)."""
    own = con is None
    if con is None:
        con = duck.connect()
    try:
        con.register("lines_in", _in_line_order(lines))
        # Materialised first: measured cheaper than fetching the query's result directly.
        con.execute(f"CREATE OR REPLACE TEMP TABLE gaming_classified AS {_CLASSIFY}")
        events = con.execute(
            f"SELECT {_EVENT_COLUMNS} FROM gaming_classified WHERE reason IS NULL"
        ).fetch_arrow_table()
        quarantine = con.execute(
            "SELECT source_file, line_number, raw, reason FROM gaming_classified "
            "WHERE reason IS NOT NULL"
        ).fetch_arrow_table()
    finally:
        con.execute("DROP TABLE IF EXISTS gaming_classified")
        con.unregister("lines_in")
        if own:
            con.close()
    return events.cast(EVENTS_SCHEMA), quarantine.cast(QUARANTINE_SCHEMA)
