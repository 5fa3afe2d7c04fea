"""DuckDB connections that never download anything.

Extensions come from the ``duckdb-ext-*`` wheels pinned in pyproject.toml; autoinstall is off
so a missing extension fails loudly instead of trying the network.
"""

from __future__ import annotations

import os
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


def connect(path: str | Path = ":memory:", *, read_only: bool = False, **config: Any):
    """Open DuckDB with the offline extension setup."""
    return duckdb.connect(str(path), read_only=read_only, config=duckdb_config(**config))


def configure_s3(con: duckdb.DuckDBPyConnection) -> None:
    """Give DuckDB's httpfs the standard AWS_* settings (incl. AWS_ENDPOINT_URL), if any."""
    if not any(k.startswith("AWS_") for k in os.environ):
        return
    con.execute("LOAD httpfs")
    parts = ["TYPE s3", "PROVIDER config"]
    params: list[Any] = []
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if key and secret:
        parts += ["KEY_ID ?", "SECRET ?"]
        params += [key, secret]
    parts.append("REGION ?")
    params.append(region)
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        parts += ["ENDPOINT ?", "URL_STYLE 'path'", f"USE_SSL {str(scheme == 'https').lower()}"]
        params.append(host.rstrip("/"))
    # CREATE SECRET takes no prepared parameters: inline them as escaped literals.
    rendered = []
    for part in parts:
        if "?" in part:
            value = str(params.pop(0)).replace("'", "''")
            part = part.replace("?", f"'{value}'")
        rendered.append(part)
    con.execute(f"CREATE OR REPLACE SECRET tributary_s3 ({', '.join(rendered)})")
