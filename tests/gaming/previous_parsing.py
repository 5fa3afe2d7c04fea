"""The gaming validation as it was before the one-pass rewrite (lines split in Python, a
temporary table, two ordered queries): the reference the new path must agree with, row for
row (``test_parsing.py``). Kept verbatim; not used by the product."""

from __future__ import annotations

import pyarrow as pa

from loaders.gaming.parsing import EVENTS_SCHEMA
from loaders.incremental_files import LINES_SCHEMA, split_classified, split_lines

MAX_SPEND_SCALE = 10
MAX_SPEND_INTEGER_DIGITS = 18


def lines_table(contents: dict[str, bytes]) -> pa.Table:
    files: list[str] = []
    numbers: list[int] = []
    raws: list[str] = []
    oks: list[bool] = []
    for source_file, data in contents.items():
        lines, ok = split_lines(data)
        files.extend([source_file] * len(lines))
        numbers.extend(range(1, len(lines) + 1))
        raws.extend(lines)
        oks.extend(ok)
    return pa.table([files, numbers, raws, oks], schema=LINES_SCHEMA)


_CLASSIFY = f"""
WITH lines AS (
    SELECT source_file, line_number, raw, utf8_ok,
           json_valid(raw) AS is_json
    FROM lines_in
),
fields AS (
    SELECT *,
           CASE WHEN is_json THEN json_type(raw::JSON) END AS doc_type,
           CASE WHEN is_json THEN json_extract(raw::JSON, ['$.user', '$.timestamp', '$.evtname', '$.spend']) END AS f
    FROM lines
),
typed AS (
    SELECT source_file, line_number, raw, utf8_ok, is_json, doc_type,
           json_type(f[1]) AS user_type,      f[1] ->> '$' AS user_value,
           json_type(f[2]) AS ts_type,        f[2] ->> '$' AS ts_value,
           json_type(f[3]) AS evtname_type,   f[3] ->> '$' AS evtname_value,
           json_type(f[4]) AS spend_type,
           CASE WHEN json_type(f[4]) = 'VARCHAR' THEN f[4] ->> '$' ELSE f[4]::VARCHAR END AS spend_value
    FROM fields
),
classified AS (
    SELECT *,
        CASE
            WHEN NOT utf8_ok THEN 'line is not valid UTF-8'
            WHEN trim(raw) = '' THEN 'line is empty'
            WHEN NOT is_json THEN 'line is not valid JSON'
            WHEN doc_type <> 'OBJECT' THEN 'line is not a JSON object'
            WHEN user_type IS NULL OR user_type = 'NULL' THEN 'missing field: user'
            WHEN user_type <> 'VARCHAR' THEN 'user is not a string'
            WHEN user_value = '' THEN 'user is empty'
            WHEN ts_type IS NULL OR ts_type = 'NULL' THEN 'missing field: timestamp'
            WHEN ts_type <> 'VARCHAR' THEN 'timestamp is not a string'
            WHEN NOT regexp_full_match(ts_value, '\\d{{4}}-\\d{{2}}-\\d{{2}} \\d{{2}}:\\d{{2}}:\\d{{2}}')
                THEN 'timestamp is not in the form YYYY-MM-DD HH:MM:SS'
            WHEN try_strptime(ts_value, '%Y-%m-%d %H:%M:%S') IS NULL
                THEN 'timestamp is not a real date-time'
            WHEN evtname_type IS NULL OR evtname_type = 'NULL' THEN 'missing field: evtname'
            WHEN evtname_type <> 'VARCHAR' THEN 'evtname is not a string'
            WHEN evtname_value = '' THEN 'evtname is empty'
            WHEN spend_type IS NULL OR spend_type = 'NULL' THEN NULL
            WHEN spend_type NOT IN ('VARCHAR', 'UBIGINT', 'BIGINT', 'DOUBLE')
                OR NOT regexp_full_match(spend_value, '[0-9]+(\\.[0-9]+)?')
                THEN 'spend is not a non-negative decimal'
            WHEN length(regexp_extract(spend_value, '\\.([0-9]+)$', 1)) > {MAX_SPEND_SCALE}
                THEN 'spend has more than {MAX_SPEND_SCALE} decimal places'
            WHEN length(split_part(spend_value, '.', 1)) > {MAX_SPEND_INTEGER_DIGITS}
                THEN 'spend is larger than {MAX_SPEND_INTEGER_DIGITS} integer digits'
        END AS reason
    FROM typed
)
"""


def validate(lines: pa.Table) -> tuple[pa.Table, pa.Table]:
    return split_classified(
        lines,
        f"{_CLASSIFY} SELECT * FROM classified",
        """source_file, line_number,
           user_value AS "user", ts_value AS "timestamp", evtname_value AS evtname,
           CASE WHEN spend_type IN ('VARCHAR', 'UBIGINT', 'BIGINT', 'DOUBLE')
                THEN spend_value END AS spend""",
        EVENTS_SCHEMA,
    )
