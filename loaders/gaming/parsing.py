"""Split event files into lines and validate them: a compiled pass, then one DuckDB query.

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

from loaders.gaming.shape import shape_columns
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


# Three tiers. The *shape path* takes the lines written the way producers write them
# (``json.dumps``: the four keys in order, plain strings): :mod:`loaders.gaming.shape` proves
# the shape and copies the values out in one compiled pass, so the query below never sees
# those lines. It parses the others as JSON (``json_extract`` of the four fields, as JSON
# texts) and the *fast path* accepts them with one conjunction over those texts, each test
# implying the rule it stands for. What neither accepts (the defects, ~1 %, a leading space,
# strings with escapes) takes the *slow path*: the rule-by-rule CASE that names the first rule
# broken (and accepts what the others were too strict for).
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

# The lines without the usual shape (``lines_in``), classified; input order kept (insertion
# order is preserved without ORDER BY).
_CLASSIFY_REST = f"""
WITH parsed AS (
    SELECT source_file, line_number, raw, utf8_ok,
        CASE WHEN json_valid(raw) THEN json_extract(raw, {_FIELDS}) END AS f
    FROM lines_in
),
checked AS (
    SELECT *, {_FAST_OK} AS fast_ok FROM parsed
),
classified AS (
    SELECT source_file, line_number, raw, fast_ok, f,
        CASE
            WHEN fast_ok THEN NULL
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
SELECT reason,
    CASE WHEN reason IS NOT NULL THEN raw END AS raw,
    CASE WHEN reason IS NOT NULL THEN NULL
         WHEN fast_ok THEN substr(f[1], 2, length(f[1]) - 2) ELSE f[1] ->> '$' END AS "user",
    CASE WHEN reason IS NOT NULL THEN NULL
         WHEN fast_ok THEN substr(f[2], 2, 19) ELSE f[2] ->> '$' END AS "timestamp",
    CASE WHEN reason IS NOT NULL THEN NULL
         WHEN fast_ok THEN substr(f[3], 2, length(f[3]) - 2) ELSE f[3] ->> '$' END AS evtname,
    CASE WHEN reason IS NOT NULL OR f[4] IS NULL OR f[4] = 'null' THEN NULL
         WHEN fast_ok THEN trim(f[4], '"')
         WHEN json_type(f[4]) = 'VARCHAR' THEN f[4] ->> '$'
         WHEN json_type(f[4]) IN ({_NUMBER}) THEN f[4]::VARCHAR END AS spend
FROM classified
"""
# What :func:`classify` returns: every line, its four fields or its raw text and reason.
CLASSIFIED_COLUMNS = ("reason", "raw", "user", "timestamp", "evtname", "spend")
_SHAPE_COLUMNS = ("shape_ok", "user", "timestamp", "evtname", "spend")


def with_shape(lines: pa.Table) -> pa.Table:
    """``lines`` (a lines table) with whether each line has the usual shape and, where it has,
    its four values (:func:`loaders.gaming.shape.shape_columns`): the part of the validation
    that needs no DuckDB (the gaming load runs it in its worker threads)."""
    ok, values = shape_columns(
        lines["raw"].combine_chunks().cast(pa.string()), lines["utf8_ok"].combine_chunks()
    )
    for name, column in zip(_SHAPE_COLUMNS, [ok, *values], strict=True):
        lines = lines.append_column(name, column)
    return lines


def classify(shaped: pa.Table, con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every line of ``shaped`` (from :func:`with_shape`), in its order: ``source_file``,
    ``line_number`` and :data:`CLASSIFIED_COLUMNS` (a null ``reason``: valid, with its
    values; else the raw text and the first rule it breaks). Only the lines without the usual
    shape go through DuckDB."""
    rest = pc.invert(shaped["shape_ok"].combine_chunks())
    con.register("lines_in", shaped.filter(rest))
    try:
        classified = con.execute(_CLASSIFY_REST).fetch_arrow_table()
    finally:
        con.unregister("lines_in")
    columns = {"source_file": shaped["source_file"], "line_number": shaped["line_number"]}
    # the other lines are usually all rejected: their values are null, as the shape left them
    rest_valid = classified["reason"].null_count > 0
    for name in CLASSIFIED_COLUMNS:
        if name in _SHAPE_COLUMNS:
            column = shaped[name].combine_chunks()
            if not rest_valid:
                columns[name] = column
                continue
        else:
            column = pa.nulls(shaped.num_rows, pa.string())
        columns[name] = pc.replace_with_mask(
            column, rest, classified[name].combine_chunks().cast(pa.string())
        )
    return pa.table(columns)


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
    (``con``: a DuckDB connection to reuse)."""
    own = con is None
    if con is None:
        con = duck.connect()
    try:
        classified = classify(with_shape(_in_line_order(lines)), con)
    finally:
        if own:
            con.close()
    valid = pc.is_null(classified["reason"])
    events = classified.filter(valid).select([f.name for f in EVENTS_SCHEMA])
    quarantine = classified.filter(pc.invert(valid)).select(
        ["source_file", "line_number", "raw", "reason"]
    )
    return events.cast(EVENTS_SCHEMA), quarantine.cast(QUARANTINE_SCHEMA)
