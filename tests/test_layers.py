"""The layer contract in pyproject (`[tool.importlinter]`) holds, and it catches a wrong arrow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "orchestration", "loaders", "tributary", "simulation", "bench")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The product's Python packages and pyproject, copied where they may be broken."""
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_the_contract():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("loaders/common.py", "import simulation.adreports", "never imports simulation"),
        ("loaders/common.py", "import api.errors", "Layers"),
        ("tributary/duck.py", "import loaders.common", "Layers"),
        ("api/deps.py", "import bench.common", "never imports simulation or bench"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(tree_copy, module, statement, contract):
    target = tree_copy / module
    target.write_text(target.read_text() + f"\n{statement}  # deliberate wrong arrow\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
