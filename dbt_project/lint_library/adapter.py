"""sqlfluff's stand-in for dbt's ``adapter`` (its jinja templater has none): ``adapter.dispatch``
resolves to the ``duckdb__`` implementation of a cross-database macro, else ``default__``, so
the models are linted as the DuckDB target renders them. Loaded by ``.sqlfluff``
(``library_path``); dbt never imports it."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    for prefix in ("duckdb__", "default__"):
        macro = context.resolve_or_missing(prefix + macro_name)
        if callable(macro):
            return macro
    raise LookupError(f"no duckdb__ or default__ implementation of {macro_name}")
