"""DuckDB connections that never download anything.

Extensions come from the ``duckdb-ext-*`` wheels pinned in pyproject.toml; autoinstall is off
so a missing extension fails loudly instead of trying the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def extension_directory() -> str:
    import duckdb_ext  # namespace package shipped by the duckdb-ext-* wheels

    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


def duckdb_config(**extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "extension_directory": extension_directory(),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }
    config.update(extra)
    return config


def sql_string(value: str) -> str:
    """A DuckDB string literal (``'a'``), quotes escaped: a path for ``COPY … TO``."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: list[str]) -> str:
    """A DuckDB list literal of strings (``['a', 'b']``), quotes escaped: file lists for
    ``read_parquet`` / ``read_csv``, ids for ``IN``."""
    return "[" + ", ".join(sql_string(v) for v in values) + "]"


def connect(path: str | Path = ":memory:", *, read_only: bool = False, **config: Any):
    """Open DuckDB with the offline extension setup."""
    return duckdb.connect(str(path), read_only=read_only, config=duckdb_config(**config))
