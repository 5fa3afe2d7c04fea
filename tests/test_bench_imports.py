"""The benches are not run by the suite (they are timed, not tested), but a refactor that moves
a function they use must not leave them broken: each one imports, and parses its defaults."""

import importlib
import inspect
from pathlib import Path

import pytest

BENCHES = sorted(p.stem for p in (Path(__file__).parents[1] / "bench").glob("*.py"))


@pytest.mark.parametrize("name", [b for b in BENCHES if b != "__init__"])
def test_bench_imports_and_parses_its_defaults(name):
    module = importlib.import_module(f"bench.{name}")
    parse_args = getattr(module, "parse_args", None)
    if parse_args is not None and "argv" in inspect.signature(parse_args).parameters:
        parse_args([])
