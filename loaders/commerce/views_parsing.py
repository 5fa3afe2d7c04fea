"""Product-view files → Arrow tables, in one vectorised DuckDB pass per batch of files.

A file (under ``<platform>/``) holds batches in one of three shapes, told apart by content:

- a JSON array of batches (first non-blank byte ``[``): read with DuckDB's
  ``read_json_objects(format='array')`` straight from disk, element by element, so a file of
  tens of MB never becomes Python objects;
- one batch object (the whole text is one JSON object, possibly pretty-printed);
- JSON lines, one batch per line (anything else): each line is checked on its own.

Every event of every batch is counted exactly once as a product view (``custom_event`` named
``product``, the only ones kept), ignored (any other event) or quarantined. Quarantined, with
raw text and reason: a file that is not valid JSON or not in a platform folder (one row for
the file), a JSON line that does not parse, a batch that is not an object or has no
``events`` array, and a product view whose ``codeColor`` is missing/empty/not a string or
whose ``data.timestamp_unixtime_ms`` is not a number between 2000 and 2100. The event's own
``data.timestamp_unixtime_ms`` (int or float) is the view time; the batch-level time is never
used. Ids are not used at all (real exports have constant or rounded ones): no de-duplication.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders.incremental_files import LandedFile, Landing, lines_table
from tributary import duck
from tributary.platforms import PLATFORMS

RAW_TEXT_LIMIT = 10_000  # characters of a quarantined file or line kept as its raw text
MIN_MS, MAX_MS = 946_684_800_000, 4_102_444_800_000  # 2000-01-01 .. 2100-01-01 UTC

VIEWS_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("batch_number", pa.int64(), nullable=False),
        pa.field("event_index", pa.int64(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("event_ms", pa.float64(), nullable=False),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("platform", pa.string()),
        pa.field("batch_number", pa.int64(), nullable=False),
        pa.field("event_index", pa.int64()),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)

# Per file: what was read and where it went (records = events + unreadable files/lines/batches).
COUNTS_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("records_read", pa.int64(), nullable=False),
        pa.field("product_views", pa.int64(), nullable=False),
        pa.field("ignored_events", pa.int64(), nullable=False),
        pa.field("quarantined", pa.int64(), nullable=False),
    ]
)


def platform_of(landing: Landing, path: str) -> str | None:
    """The platform named by the first folder under the landing root (case-insensitive)."""
    key = landing.fs._strip_protocol(path)
    root = landing.root.rstrip("/")
    relative = key[len(root) :].lstrip("/") if key.startswith(root) else key
    folder = relative.split("/", 1)[0] if "/" in relative else ""
    for p in PLATFORMS:
        if folder.lower() == p.lower():
            return p
    return None


@dataclass
class ParsedViews:
    views: pa.Table
    quarantine: pa.Table
    counts: pa.Table


_UNIT_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("batch_number", pa.int64()),
        ("raw", pa.string()),
    ]
)


def _first_byte(data: bytes) -> bytes:
    stripped = data.lstrip(b" \t\r\n\xef\xbb\xbf")
    return stripped[:1]


def _load_array_file(
    con: duckdb.DuckDBPyConnection, landing: Landing, f: LandedFile, data: bytes, tmp: Path
) -> str | None:
    """Read one JSON-array file into ``units``; the DuckDB error text when it is malformed."""
    if landing.protocol == "file":
        path = f.path
    else:
        path = str(tmp / f"{abs(hash(f.path))}.json")
        Path(path).write_bytes(data)
    try:
        con.execute(
            """
            INSERT INTO units
            SELECT ?, row_number() OVER (), json
            FROM read_json_objects(?, format = 'array', maximum_object_size = 1073741824)
            """,
            [f.path, path],
        )
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        return str(exc).split("\n")[0]
    return None


_CLASSIFY = f"""
CREATE TEMP TABLE classified AS
WITH batches AS (
    SELECT u.source_file, p.platform, u.batch_number, u.doc,
           json_type(u.doc) AS doc_type,
           json_type(json_extract(u.doc, '$.events')) AS events_type
    FROM units AS u JOIN file_platforms AS p USING (source_file)
),
bad_batches AS (
    SELECT source_file, platform, batch_number, NULL::BIGINT AS event_index,
           left(doc::VARCHAR, {RAW_TEXT_LIMIT}) AS raw,
           CASE WHEN doc_type <> 'OBJECT' THEN 'batch is not a JSON object'
                ELSE 'batch has no events array' END AS reason,
           'quarantined' AS outcome, NULL AS product, NULL::DOUBLE AS event_ms
    FROM batches
    WHERE doc_type <> 'OBJECT' OR events_type IS DISTINCT FROM 'ARRAY'
),
events AS (
    SELECT source_file, platform, batch_number,
           unnest(json_extract(doc, '$.events[*]')) AS ev,
           generate_subscripts(json_extract(doc, '$.events[*]'), 1) AS event_index
    FROM batches
    WHERE doc_type = 'OBJECT' AND events_type = 'ARRAY'
),
fields AS (
    SELECT source_file, platform, batch_number, event_index, ev,
           json_type(ev) AS ev_type,
           -- one parse of the event for all four fields
           json_extract(ev, [
               '$.event_type', '$.data.event_name',
               '$.data.custom_attributes.codeColor', '$.data.timestamp_unixtime_ms'
           ]) AS f
    FROM events
),
picked AS (
    SELECT source_file, platform, batch_number, event_index, ev, ev_type,
           (f[1] ->> '$') = 'custom_event' AND (f[2] ->> '$') = 'product' AS is_view,
           f[3] AS code,
           f[4] AS ts
    FROM fields
),
judged AS (
    SELECT source_file, platform, batch_number, event_index, ev,
           json_type(code) AS code_type, (code ->> '$') AS product,
           json_type(ts) AS ts_type, try_cast(ts::VARCHAR AS DOUBLE) AS event_ms,
           CASE
               WHEN ev_type <> 'OBJECT' THEN 'event is not a JSON object'
               WHEN NOT coalesce(is_view, false) THEN NULL
               WHEN code IS NULL OR json_type(code) = 'NULL'
                   THEN 'product view without codeColor'
               WHEN json_type(code) <> 'VARCHAR' THEN 'codeColor is not a string'
               WHEN trim((code ->> '$')) = '' THEN 'codeColor is empty'
               WHEN ts IS NULL OR json_type(ts) NOT IN ('UBIGINT', 'BIGINT', 'DOUBLE')
                   THEN 'data.timestamp_unixtime_ms is not a number'
               WHEN try_cast(ts::VARCHAR AS DOUBLE) NOT BETWEEN {MIN_MS} AND {MAX_MS}
                   THEN 'data.timestamp_unixtime_ms is not between 2000 and 2100'
           END AS reason,
           coalesce(is_view, false) AS is_view
    FROM picked
)
SELECT source_file, platform, batch_number, event_index::BIGINT AS event_index,
       CASE WHEN reason IS NOT NULL THEN left(ev::VARCHAR, {RAW_TEXT_LIMIT}) END AS raw,
       reason,
       CASE WHEN reason IS NOT NULL THEN 'quarantined'
            WHEN is_view THEN 'view' ELSE 'ignored' END AS outcome,
       CASE WHEN reason IS NULL AND is_view THEN product END AS product,
       CASE WHEN reason IS NULL AND is_view THEN event_ms END AS event_ms
FROM judged
UNION ALL
SELECT * FROM bad_batches
"""


def parse_files(
    landing: Landing, files: list[LandedFile], contents: dict[str, bytes]
) -> ParsedViews:
    """Classify every event of ``files`` (bytes in ``contents``)."""
    con = duck.connect()
    con.execute("SET enable_progress_bar = false")
    file_quarantine: list[dict] = []
    platforms = {f.path: platform_of(landing, f.path) for f in files}
    try:
        con.execute("CREATE TEMP TABLE units (source_file VARCHAR, batch_number BIGINT, doc JSON)")
        con.execute(
            "CREATE TEMP TABLE line_quarantine (source_file VARCHAR, batch_number BIGINT,"
            " raw VARCHAR, reason VARCHAR)"
        )
        text_files: dict[str, bytes] = {}
        with tempfile.TemporaryDirectory(prefix="commerce-views-") as tmp:
            for f in files:
                data = contents[f.path]
                if platforms[f.path] is None:
                    file_quarantine.append(
                        _file_row(
                            f, data, "file is not in a platform folder (iOS/, Android/, MobileWeb/)"
                        )
                    )
                elif _first_byte(data) == b"[":
                    error = _load_array_file(con, landing, f, data, Path(tmp))
                    if error:
                        file_quarantine.append(
                            _file_row(f, data, f"file is not valid JSON: {error}")
                        )
                elif not data.strip():
                    file_quarantine.append(_file_row(f, data, "file is empty"))
                else:
                    text_files[f.path] = data
        if text_files:
            _load_text_files(con, text_files)
        con.register(
            "file_platforms",
            pa.table(
                {
                    "source_file": list(platforms),
                    "platform": list(platforms.values()),
                }
            ),
        )
        con.execute(_CLASSIFY)
        views = con.execute(
            """
            SELECT source_file, platform, batch_number, event_index, product, event_ms
            FROM classified WHERE outcome = 'view'
            ORDER BY source_file, batch_number, event_index
            """
        ).fetch_arrow_table()
        extra = pa.Table.from_pylist(file_quarantine, schema=QUARANTINE_SCHEMA)
        con.register("file_quarantine", extra)
        quarantine = con.execute(
            """
            SELECT source_file, platform, batch_number, event_index, raw, reason
            FROM classified WHERE outcome = 'quarantined'
            UNION ALL
            SELECT q.source_file, p.platform, q.batch_number, NULL, q.raw, q.reason
            FROM line_quarantine AS q JOIN file_platforms AS p USING (source_file)
            UNION ALL
            SELECT * FROM file_quarantine
            ORDER BY source_file, batch_number, event_index
            """
        ).fetch_arrow_table()
        con.register("quarantine_rows", quarantine)
        counts = con.execute(
            """
            WITH listed AS (SELECT source_file FROM file_platforms),
            ev AS (
                SELECT source_file, count(*) AS records,
                       count(*) FILTER (WHERE outcome = 'view') AS product_views,
                       count(*) FILTER (WHERE outcome = 'ignored') AS ignored_events
                FROM classified GROUP BY ALL
            ),
            q AS (SELECT source_file, count(*) AS n FROM quarantine_rows GROUP BY ALL),
            unreadable AS (
                SELECT source_file, count(*) AS n FROM (
                    SELECT source_file FROM line_quarantine
                    UNION ALL SELECT source_file FROM file_quarantine
                ) GROUP BY ALL
            )
            SELECT listed.source_file,
                   coalesce(ev.records, 0) + coalesce(unreadable.n, 0) AS records_read,
                   coalesce(ev.product_views, 0) AS product_views,
                   coalesce(ev.ignored_events, 0) AS ignored_events,
                   coalesce(q.n, 0) AS quarantined
            FROM listed
            LEFT JOIN ev USING (source_file)
            LEFT JOIN q USING (source_file)
            LEFT JOIN unreadable USING (source_file)
            ORDER BY listed.source_file
            """
        ).fetch_arrow_table()
    finally:
        con.close()
    return ParsedViews(
        views.cast(VIEWS_SCHEMA), quarantine.cast(QUARANTINE_SCHEMA), counts.cast(COUNTS_SCHEMA)
    )


def _file_row(f: LandedFile, data: bytes, reason: str) -> dict:
    return {
        "source_file": f.path,
        "platform": None,
        "batch_number": 0,
        "event_index": None,
        "raw": data[:RAW_TEXT_LIMIT].decode("utf-8", errors="replace"),
        "reason": reason,
    }


def _load_text_files(con: duckdb.DuckDBPyConnection, text_files: dict[str, bytes]) -> None:
    """One batch object per file, or JSON lines (each line a batch)."""
    whole = pa.table(
        {
            "source_file": list(text_files),
            "raw": [d.decode("utf-8", errors="replace") for d in text_files.values()],
        }
    )
    con.register("whole_files", whole)
    singles = {
        row[0]
        for row in con.execute(
            "SELECT source_file FROM whole_files WHERE json_valid(raw) AND json_type(raw) = 'OBJECT'"
        ).fetchall()
    }
    con.execute(
        "INSERT INTO units SELECT source_file, 1, raw::JSON FROM whole_files "
        "WHERE list_contains(?, source_file)",
        [sorted(singles)],
    )
    con.unregister("whole_files")
    lines = lines_table({p: d for p, d in text_files.items() if p not in singles})
    con.register("lines_in", lines)
    con.execute(
        """
        INSERT INTO units
        SELECT source_file, line_number, raw::JSON FROM lines_in
        WHERE utf8_ok AND json_valid(raw) AND trim(raw) <> ''
        """
    )
    con.execute(
        f"""
        INSERT INTO line_quarantine
        SELECT source_file, line_number, left(raw, {RAW_TEXT_LIMIT}),
               CASE WHEN NOT utf8_ok THEN 'line is not valid UTF-8'
                    ELSE 'line is not valid JSON' END
        FROM lines_in
        WHERE trim(raw) <> '' AND NOT (utf8_ok AND json_valid(raw))
        """
    )
