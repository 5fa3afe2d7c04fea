"""Where a publisher reads the dbt marts, whichever engine built them.

Serving snapshot publishers (``tributary.serving``, ``tributary.serving_sqlite``) run their
SELECTs against a DuckDB connection. :func:`marts_connection` hands them one in which
``<schema>.<table>`` is the mart as ``TRIBUTARY_ENGINE`` built it:

- ``duckdb``: the warehouse connection itself (the caller's, or one opened without the lock,
  which the caller holds);
- ``spark``: an in-memory DuckDB with one view per table the Spark target wrote, over its
  Parquet folder ``$TRIBUTARY_DATA_DIR/spark/warehouse/<schema>.db/<table>/`` (partition
  folders ``col=value`` read as hive columns). Hidden and scratch entries (``_SUCCESS``,
  ``_temporary/``, ``.spark-staging-*``, ``*.crc``) are skipped, as Spark's readers skip them.

So the API never knows which engine built a snapshot. Types: Spark writes ``timestamp_ntz``
(DuckDB ``TIMESTAMP``), ``int`` as 32-bit and its own decimal precisions, and a partition
column's type is inferred from its folder names; publishers therefore cast every served
column to the type the snapshot promises (:class:`tributary.serving.ServedTable` selects,
or the SQLite DDL), which makes the snapshots identical on both engines. A Spark table that
has no Parquet file (a partitioned table without rows) and Spark views (catalog-only) have no
view here: they read as "not built".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tributary import duck, settings
from tributary.duck import sql_list
from tributary.settings import TributarySettings
from tributary.warehouse import connect as connect_warehouse


def spark_warehouse_dir() -> Path:
    """The Parquet tables of the Spark target (``spark.sql.warehouse.dir`` of the profile)."""
    return settings.spark_dir() / "warehouse"


def _hidden(name: str) -> bool:
    return name.startswith(("_", "."))


def table_files(folder: Path) -> tuple[list[str], bool]:
    """The Parquet files of one Spark table folder (sorted) and whether it is partitioned."""
    files: list[str] = []
    partitioned = False
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        partitioned = partitioned or any("=" in d for d in dirs)
        files += [os.path.join(root, n) for n in names if n.endswith(".parquet") and not _hidden(n)]
    return sorted(files), partitioned


def attach_spark_tables(con: duckdb.DuckDBPyConnection, warehouse_dir: Path) -> list[str]:
    """Create ``<schema>.<table>`` views in ``con`` over every table folder under
    ``warehouse_dir``; returns their names (``schema.table``)."""
    created: list[str] = []
    schemas = sorted(p for p in warehouse_dir.glob("*.db") if p.is_dir())
    for schema_dir in schemas:
        schema = schema_dir.name.removesuffix(".db")
        for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            if _hidden(table_dir.name):
                continue
            files, partitioned = table_files(table_dir)
            if not files:
                continue
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            con.execute(
                f'CREATE VIEW "{schema}"."{table_dir.name}" AS SELECT * FROM read_parquet('
                f"{sql_list(files)}, hive_partitioning = {str(partitioned).lower()})"
            )
            created.append(f"{schema}.{table_dir.name}")
    return created


@contextmanager
def marts_connection(
    warehouse: duckdb.DuckDBPyConnection | None = None, engine: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection in which ``<schema>.<table>`` reads the marts of ``engine``
    (default ``TRIBUTARY_ENGINE``). On DuckDB that is ``warehouse`` (or the warehouse opened
    without taking the lock: the caller holds it); on Spark, views over the Parquet tables
    (``warehouse`` unused). A snapshot can be written through it (``ATTACH``) either way."""
    engine = engine or TributarySettings().engine
    if engine == "duckdb":
        if warehouse is not None:
            yield warehouse
            return
        with connect_warehouse(lock=False) as con:
            yield con
        return
    if engine != "spark":
        raise ValueError(f"unknown engine {engine!r} (duckdb | spark)")
    con = duck.connect()
    try:
        attach_spark_tables(con, spark_warehouse_dir())
        yield con
    finally:
        con.close()
