"""The settings classes are the one way the product reads its environment, and the README's
configuration table says what they say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from loaders.gaming.settings import GamingSettings
from scripts import settings_table
from tributary import settings

REPO = Path(__file__).resolve().parents[1]
ENVIRON = re.compile(r"\bos\.(environ|getenv|putenv)\b|\bfrom os import .*\b(environ|getenv)\b")

# Where product code may still touch os.environ, and why: (file, text of the line).
ALLOWED = {
    # dlt reads its own switches from the environment: off for telemetry.
    ("loaders/common.py", 'os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")'),
    # dagster-dbt finds `dbt` on PATH: the venv's bin put there for it.
    (
        "orchestration/lib/dbt.py",
        'if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):',
    ),
    (
        "orchestration/lib/dbt.py",
        'os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")',
    ),
    # dbt's DuckDB finds httpfs (lakes on S3) in the offline extension wheels through it.
    (
        "orchestration/lib/dbt.py",
        'os.environ.setdefault("TRIBUTARY_DUCKDB_EXTENSIONS", duck.extension_directory())',
    ),
    # dbt subprocesses and dlt resolve the data dir from the environment: pinned for them.
    ("tributary/warehouse.py", 'os.environ["TRIBUTARY_DATA_DIR"] = str(settings.data_dir())'),
    (
        "tributary/warehouse.py",
        'os.environ["DBT_LOG_PATH"] = str(settings.data_dir() / "dbt" / "logs")',
    ),
    # The data dir's cache key (the value is read through TributarySettings).
    (
        "tributary/settings.py",
        'return _data_dir(os.environ.get("TRIBUTARY_DATA_DIR"), os.getcwd())',
    ),
    # The simulated ad-report provider: a child process gets the whole environment, and the
    # run it serves (and Dagster's child processes) is pointed at it for the duration.
    ("orchestration/lib/embedded.py", 'env={**os.environ, "ADREPORTS_API_TOKEN": token},'),
    ("orchestration/lib/embedded.py", "saved = {name: os.environ.get(name) for name in"),
    (
        "orchestration/lib/embedded.py",
        'os.environ["ADREPORTS_API_URL"], os.environ["ADREPORTS_API_TOKEN"] = url, token',
    ),
    ("orchestration/lib/embedded.py", "os.environ.pop(name, None)"),
    ("orchestration/lib/embedded.py", "os.environ[name] = value"),
}


def environ_lines() -> set[tuple[str, str]]:
    found = set()
    for package in settings_table.PRODUCT:
        for path in (REPO / package).rglob("*.py"):
            for line in path.read_text().splitlines():
                if ENVIRON.search(line):
                    found.add((str(path.relative_to(REPO)), line.strip()))
    return found


def test_product_reads_the_environment_only_through_settings_classes():
    found = environ_lines()
    unexpected = sorted(line for line in found if not any(_allows(a, line) for a in ALLOWED))
    assert not unexpected, (
        f"read these through a settings class (or allow with a reason): {unexpected}"
    )
    stale = sorted(a for a in ALLOWED if not any(_allows(a, line) for line in found))
    assert not stale, f"allowed but gone: drop from ALLOWED {stale}"


def _allows(allowed: tuple[str, str], line: tuple[str, str]) -> bool:
    return allowed[0] == line[0] and line[1].startswith(allowed[1])


def test_readme_table_is_generated_from_the_classes():
    assert settings_table.readme_table((REPO / "README.md").read_text()) == (
        settings_table.markdown_table()
    ), "README.md's configuration table is stale: run `make settings-table`"


def test_every_setting_has_a_description_a_default_and_its_own_variable():
    seen: dict[str, str] = {}
    classes = settings_table.settings_classes()
    assert {c.__name__ for c in classes} >= {"TributarySettings", "AwsSettings", "GamingSettings"}
    for cls in classes:
        for name, field in cls.model_fields.items():
            where = f"{cls.__name__}.{name}"
            assert (
                field.description and "\n" not in field.description and "|" not in field.description
            ), where
            assert not field.is_required(), f"{where} needs a default"
            for env in settings_table.env_names(cls, name):
                assert env not in seen, f"{env} read by both {seen[env]} and {where}"
                seen[env] = where


def test_values_are_read_when_a_class_is_built(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GAMING_EVENTS_URL", raising=False)
    assert GamingSettings().events_url == str(tmp_path.resolve() / "landing" / "gaming")
    monkeypatch.setenv("GAMING_FILES_PER_BATCH", " 7 ")
    monkeypatch.setenv("GAMING_EVENTS_URL", "")  # empty counts as unset
    assert (GamingSettings().files_per_batch, GamingSettings().events_url) == (
        7,
        str(tmp_path.resolve() / "landing" / "gaming"),
    )
    assert settings.data_dir() == tmp_path.resolve()


def test_a_bad_value_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("GAMING_FILES_PER_BATCH", "many")
    with pytest.raises(ValidationError, match="files_per_batch"):
        GamingSettings()


def test_every_variable_dbt_reads_is_a_setting():
    known = {
        env
        for cls in settings_table.settings_classes()
        for name in cls.model_fields
        for env in settings_table.env_names(cls, name)
    }
    project = REPO / "dbt_project"
    read = {
        name
        for path in [*project.rglob("*.sql"), *project.rglob("*.yml")]
        if "target" not in path.relative_to(project).parts
        for name in re.findall(r"env_var\(\s*['\"]([A-Z0-9_]+)['\"]", path.read_text())
    }
    assert read and not read - known, (
        f"dbt reads {sorted(read - known)}: add them to a settings class"
    )
