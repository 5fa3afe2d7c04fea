"""Validation of raw event lines in one vectorised DuckDB pass.

Input: a relation ``lines_in(source VARCHAR, position BIGINT, raw VARCHAR, utf8_ok BOOLEAN)``.
Output (:data:`CLASSIFY_SQL`): the same lines with the parsed fields, the partition values
(``date``, ``hour``) and ``reason`` — NULL for a valid event, else the first rule it breaks,
in this order:

1. the line is valid UTF-8 and not blank, parses as JSON and is an object;
2. ``data.id`` is present, a string, and a UUID;
3. ``data.type`` is present, a string, and a safe partition name (``TYPE_NAME_PATTERN``);
4. ``data.attributes`` is present and an object;
5. ``meta`` is an object and ``meta.created_at`` is an integer (epoch millis) inside
   [``CREATED_AT_MIN_MS``, ``CREATED_AT_MAX_MS``).

A JSON ``null`` counts as missing. Extra fields in ``data``, ``attributes`` and ``meta`` are
kept (``attributes`` and ``meta`` are stored whole as JSON). The raw text is kept only for
quarantined lines, so memory holds parsed fields, not the input twice.

Two paths, one answer. Every line is parsed once (``json_extract`` of the seven paths); the
*fast path* accepts a line with one conjunction over the extracted JSON texts (the id and the
type are quoted strings matching their patterns, attributes and meta start with ``{``,
created_at is a run of digits in range): each test implies the corresponding rule above, so
nothing invalid gets through. The few lines it does not accept (the defects, ~1 %) go through
the *slow path*, the rule-by-rule ``CASE`` that names the first rule broken; a line the fast
path was too strict for is still accepted there (its reason comes out NULL).
"""

from __future__ import annotations

# created_at must fall in [2000-01-01, 2100-01-01) UTC (epoch millis): a fixed window keeps
# validation deterministic (a stream and a file replay of the same events give one answer).
CREATED_AT_MIN_MS = 946_684_800_000
CREATED_AT_MAX_MS = 4_102_444_800_000
# A safe partition name: ASCII letters, digits, '_' and '-', starting with a letter or digit.
TYPE_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,99}"
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# JSON's insignificant whitespace: space, tab, line feed, carriage return.
_JSON_SPACE = "' ' || chr(9) || chr(10) || chr(13)"
_FAST_OK = f"""coalesce(
            utf8_ok
            AND starts_with(ltrim(raw, {_JSON_SPACE}), '{{')
            AND regexp_full_match(f[1]::VARCHAR, '"{UUID_PATTERN}"')
            AND regexp_full_match(f[2]::VARCHAR, '"{TYPE_NAME_PATTERN}"')
            AND starts_with(f[3]::VARCHAR, '{{')
            AND starts_with(f[4]::VARCHAR, '{{')
            AND regexp_full_match(f[5]::VARCHAR, '-?[0-9]{{1,19}}')
            AND try_cast(f[5]::VARCHAR AS BIGINT) >= {CREATED_AT_MIN_MS}
            AND try_cast(f[5]::VARCHAR AS BIGINT) < {CREATED_AT_MAX_MS},
            FALSE
        )"""
_PATHS = (
    "['$.data.id', '$.data.type', '$.data.attributes', '$.meta', '$.meta.created_at', "
    "'$.meta.service', '$.data.attributes.user_id']"
)


def classify_sql(fast_path: bool = True) -> str:
    """The classification query; ``fast_path=False`` sends every line through the rule-by-rule
    ``CASE`` (the reference the tests compare the fast path with)."""
    accept = _FAST_OK if fast_path else "FALSE"
    return f"""
WITH parsed AS (
    SELECT source, position, raw, utf8_ok,
        CASE WHEN json_valid(raw) THEN json_extract(raw, {_PATHS}) END AS f
    FROM lines_in
),
checked AS (
    SELECT *,
        {accept} AS fast_ok
    FROM parsed
),
fast AS (
    SELECT source, position, NULL::VARCHAR AS reason, NULL::VARCHAR AS raw,
        substr(f[1]::VARCHAR, 2, 36)::UUID AS id,
        f[2] ->> '$' AS type,
        epoch_ms(f[5]::VARCHAR::BIGINT) AS created_at,
        f[6] ->> '$' AS service,
        f[7] ->> '$' AS user_id,
        f[3] AS attributes,
        f[4] AS meta
    FROM checked
    WHERE fast_ok
),
typed AS (
    SELECT source, position, raw, utf8_ok, f IS NOT NULL AS is_json,
        f IS NOT NULL AND starts_with(ltrim(raw, {_JSON_SPACE}), '{{') AS is_object,
        json_type(f[1]) AS id_type, f[1] ->> '$' AS id_value,
        json_type(f[2]) AS type_type, f[2] ->> '$' AS type_value,
        json_type(f[3]) AS attributes_type, f[3] AS attributes,
        json_type(f[4]) AS meta_type, f[4] AS meta,
        json_type(f[5]) AS created_type, try_cast(f[5] ->> '$' AS BIGINT) AS created_ms,
        f[6] ->> '$' AS service, f[7] ->> '$' AS user_id
    FROM checked
    WHERE NOT fast_ok
),
slow AS (
    SELECT *,
        CASE
            WHEN NOT utf8_ok THEN 'line is not valid UTF-8'
            WHEN raw IS NULL OR trim(raw, {_JSON_SPACE}) = '' THEN 'line is empty'
            WHEN NOT is_json THEN 'line is not valid JSON'
            WHEN NOT is_object THEN 'line is not a JSON object'
            WHEN id_type IS NULL OR id_type = 'NULL' THEN 'missing field: data.id'
            WHEN id_type <> 'VARCHAR' THEN 'data.id is not a string'
            WHEN NOT regexp_full_match(id_value, '{UUID_PATTERN}') THEN 'data.id is not a UUID'
            WHEN type_type IS NULL OR type_type = 'NULL' THEN 'missing field: data.type'
            WHEN type_type <> 'VARCHAR' THEN 'data.type is not a string'
            WHEN NOT regexp_full_match(type_value, '{TYPE_NAME_PATTERN}')
                THEN 'data.type is not a safe partition name'
            WHEN attributes_type IS NULL OR attributes_type = 'NULL'
                THEN 'missing field: data.attributes'
            WHEN attributes_type <> 'OBJECT' THEN 'data.attributes is not an object'
            WHEN meta_type IS NULL OR meta_type = 'NULL' THEN 'missing field: meta'
            WHEN meta_type <> 'OBJECT' THEN 'meta is not an object'
            WHEN created_type IS NULL OR created_type = 'NULL' THEN 'missing field: meta.created_at'
            WHEN created_type NOT IN ('UBIGINT', 'BIGINT') THEN 'meta.created_at is not an integer'
            WHEN created_ms IS NULL
                OR created_ms < {CREATED_AT_MIN_MS} OR created_ms >= {CREATED_AT_MAX_MS}
                THEN 'meta.created_at is out of range (2000-01-01 .. 2100-01-01)'
        END AS reason
    FROM typed
),
slow_final AS (
    SELECT
        source, position, reason,
        CASE WHEN reason IS NOT NULL THEN coalesce(raw, '') END AS raw,
        CASE WHEN reason IS NULL THEN id_value::UUID END AS id,
        CASE WHEN reason IS NULL THEN type_value END AS type,
        CASE WHEN reason IS NULL THEN epoch_ms(created_ms) END AS created_at,
        CASE WHEN reason IS NULL THEN service END AS service,
        CASE WHEN reason IS NULL THEN user_id END AS user_id,
        CASE WHEN reason IS NULL THEN attributes END AS attributes,
        CASE WHEN reason IS NULL THEN meta END AS meta
    FROM slow
),
unioned AS (
    SELECT * FROM fast
    UNION ALL
    SELECT * FROM slow_final
),
final AS (
    SELECT *,
        strftime(created_at, '%Y-%m-%d') AS date,
        strftime(created_at, '%H') AS hour
    FROM unioned
)
SELECT * FROM final
"""


CLASSIFY_SQL = classify_sql()
