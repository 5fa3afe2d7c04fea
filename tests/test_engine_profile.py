"""The dbt profile's two targets follow the settings: TRIBUTARY_ENGINE picks the target, the
`spark` target's defaults are the settings' defaults, and the tests' SparkSession is configured
as the profile configures dbt's."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.spark_engine import spark_conf
from tributary.settings import SparkSettings, TributarySettings

PROFILE = Path(__file__).resolve().parents[1] / "dbt_project" / "profiles.yml"


def _profile() -> dict:
    return yaml.safe_load(PROFILE.read_text())["tributary"]


def test_the_engine_setting_names_the_targets():
    profile = _profile()
    choices = TributarySettings.model_fields["engine"].annotation.__args__
    assert set(profile["outputs"]) == set(choices)
    assert profile["target"] == "{{ env_var('TRIBUTARY_ENGINE', 'duckdb') }}"
    assert TributarySettings.model_fields["engine"].default == "duckdb"


def test_spark_target_defaults_are_the_settings_defaults():
    text = PROFILE.read_text()
    for name, field in SparkSettings.model_fields.items():
        var = f"TRIBUTARY_SPARK_{name.upper()}"
        defaults = set(re.findall(rf"env_var\('{var}', '([^']*)'\)", text))
        assert defaults == {str(field.default)}, var


def test_tests_configure_spark_as_the_profile_does():
    target = _profile()["outputs"]["spark"]
    assert target["method"] == "session"
    ours = set(spark_conf(Path("/d"), "local[2]"))
    assert ours - {"spark.driver.memory", "spark.app.name"} == set(
        target["server_side_parameters"]
    ) - {"spark.driver.memory", "spark.app.name"}
