"""Parse the shop's CSV exports (orders, order_items) into Arrow tables, strictly.

Two dialects are accepted, per file, decided from the header line:

- documented: comma-separated, columns ``id, order_date, status, device, order_total`` and
  ``order_date`` as ISO ``YYYY-MM-DD HH:MM[:SS]``;
- real exports: semicolon-separated, ``order_status`` for ``status``, ``device_type`` for
  ``device``, ``order_date`` as ``DD/MM/YYYY HH:MM``.

Either date form is accepted in either dialect. Anything else (another separator, a missing
column, a row with too many or too few fields, an id that is not an integer, a date in another
form or impossible, an empty status or product, a duplicate id) raises :class:`ExportError`
naming the file, the line and the column; nothing is written then. Extra columns are ignored.
Parsing is one vectorised DuckDB pass per file (``read_csv`` + checks in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tributary import duck

ALIASES = {"order_status": "status", "device_type": "device"}
ORDER_COLUMNS = ("id", "order_date", "status", "device")
ORDER_OPTIONAL = ("order_total",)
ITEM_COLUMNS = ("order_id", "code_color")
ITEM_OPTIONAL = ("price",)


class ExportError(ValueError):
    """A CSV export that does not follow either accepted dialect."""

    def __init__(self, path: Path, line: int, column: str | None, reason: str) -> None:
        where = f"{path}, line {line}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {reason}")
        self.path, self.line, self.column, self.reason = path, line, column, reason


@dataclass(frozen=True)
class Header:
    delimiter: str
    names: list[str]  # as written in the file
    canonical: list[str]  # after aliases


def read_header(path: Path, required: tuple[str, ...]) -> Header:
    with open(path, encoding="utf-8-sig", newline="") as f:
        first = f.readline().rstrip("\r\n")
    if not first:
        raise ExportError(path, 1, None, "file is empty (expected a header line)")
    semis, commas = first.count(";"), first.count(",")
    if semis == commas == 0:
        raise ExportError(path, 1, None, "header is not comma- or semicolon-separated")
    delimiter = ";" if semis > commas else ","
    names = [n.strip().strip('"') for n in first.split(delimiter)]
    canonical = [ALIASES.get(n.lower(), n.lower()) for n in names]
    for column in required:
        if column not in canonical:
            alias = [a for a, c in ALIASES.items() if c == column]
            also = f" (or {alias[0]})" if alias else ""
            raise ExportError(path, 1, column, f"missing column {column}{also} in the header")
    seen: set[str] = set()
    for name, canon in zip(names, canonical, strict=True):
        if canon in seen:
            raise ExportError(path, 1, name, f"column {canon} appears twice in the header")
        seen.add(canon)
    return Header(delimiter, names, canonical)


def _read(path: Path, header: Header, checks: str, select: str) -> pa.Table:
    """read_csv with every field as text, reject malformed rows, run ``checks`` (a CTE
    producing (line, column, reason) rows) and return ``select`` over the rows."""
    con = duck.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        columns = {canon: "VARCHAR" for canon in header.canonical}
        con.execute(
            "CREATE TEMP TABLE raw AS SELECT row_number() OVER () + 1 AS line, * FROM read_csv("
            "?, delim = ?, header = true, auto_detect = false, columns = ?, quote = '\"', "
            "escape = '\"', store_rejects = true, encoding = 'utf-8')",
            [str(path), header.delimiter, columns],
        )
        reject = con.execute(
            "SELECT line, column_name, error_message FROM reject_errors ORDER BY line LIMIT 1"
        ).fetchone()
        if reject:
            raise ExportError(path, int(reject[0]), reject[1], reject[2])
        failure = con.execute(
            f"WITH {checks} SELECT line, col, reason FROM failures ORDER BY line LIMIT 1"
        ).fetchone()
        if failure:
            name = header.names[header.canonical.index(failure[1])]
            raise ExportError(path, int(failure[0]), name, failure[2])
        return con.execute(select).fetch_arrow_table()
    finally:
        con.close()


_ISO = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?"
_DMY = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"
_PARSED_DATE = f"""
    CASE
        WHEN regexp_full_match(trim(order_date), '{_ISO}')
            THEN coalesce(
                try_strptime(replace(trim(order_date), 'T', ' '), '%Y-%m-%d %H:%M:%S'),
                try_strptime(replace(trim(order_date), 'T', ' '), '%Y-%m-%d %H:%M'))
        WHEN regexp_full_match(trim(order_date), '{_DMY}')
            THEN try_strptime(trim(order_date), '%d/%m/%Y %H:%M')
    END"""


def parse_orders(path: Path) -> pa.Table:
    """``orders`` as (id BIGINT, order_date TIMESTAMP local wall clock, status, device,
    order_total DECIMAL(14,2) or null)."""
    header = read_header(path, ORDER_COLUMNS)
    total = "order_total" if "order_total" in header.canonical else "NULL::VARCHAR"
    checks = f"""
    parsed AS (
        SELECT line, id, order_date, status, device, {total} AS order_total,
               try_cast(trim(id) AS BIGINT) AS id_value, {_PARSED_DATE} AS date_value,
               try_cast(trim({total}) AS DECIMAL(14, 2)) AS total_value
        FROM raw
    ),
    failures AS (
        SELECT line, 'id' AS col, 'id is not an integer' AS reason FROM parsed
        WHERE id_value IS NULL
        UNION ALL
        SELECT line, 'id', 'duplicate id ' || trim(id) || ' (first on line ' || first_line || ')'
        FROM (SELECT line, id, min(line) OVER (PARTITION BY id_value) AS first_line FROM parsed
              WHERE id_value IS NOT NULL)
        WHERE line > first_line
        UNION ALL
        SELECT line, 'order_date',
               'order_date ' || coalesce('''' || order_date || '''', 'is empty and')
               || ' is not YYYY-MM-DD HH:MM[:SS] or DD/MM/YYYY HH:MM (or not a real date)'
        FROM parsed WHERE date_value IS NULL
        UNION ALL
        SELECT line, 'status', 'status is empty' FROM parsed WHERE coalesce(trim(status), '') = ''
        UNION ALL
        SELECT line, 'order_total', 'order_total ''' || order_total || ''' is not a decimal'
        FROM parsed WHERE order_total IS NOT NULL AND trim(order_total) <> ''
            AND total_value IS NULL
    )"""
    select = f"""
        SELECT try_cast(trim(id) AS BIGINT) AS id, {_PARSED_DATE} AS order_date,
               trim(status) AS status, nullif(trim(device), '') AS device,
               try_cast(trim({total}) AS DECIMAL(14, 2)) AS order_total
        FROM raw ORDER BY line"""
    return _read(path, header, checks, select)


def parse_order_items(path: Path) -> pa.Table:
    """``order_items`` as (order_id, item_number, code_color, price). ``item_number`` is the
    item's position among its order's rows in the export (the key within an order)."""
    header = read_header(path, ITEM_COLUMNS)
    price = "price" if "price" in header.canonical else "NULL::VARCHAR"
    checks = f"""
    failures AS (
        SELECT line, 'order_id' AS col, 'order_id is not an integer' AS reason FROM raw
        WHERE try_cast(trim(order_id) AS BIGINT) IS NULL
        UNION ALL
        SELECT line, 'code_color', 'code_color is empty' FROM raw
        WHERE coalesce(trim(code_color), '') = ''
        UNION ALL
        SELECT line, 'price', 'price ''' || {price} || ''' is not a decimal' FROM raw
        WHERE {price} IS NOT NULL AND trim({price}) <> ''
            AND try_cast(trim({price}) AS DECIMAL(14, 2)) IS NULL
    )"""
    select = f"""
        SELECT cast(trim(order_id) AS BIGINT) AS order_id,
               row_number() OVER (PARTITION BY cast(trim(order_id) AS BIGINT) ORDER BY line)
                   ::INTEGER AS item_number,
               trim(code_color) AS code_color,
               try_cast(trim({price}) AS DECIMAL(14, 2)) AS price
        FROM raw ORDER BY line"""
    return _read(path, header, checks, select)
