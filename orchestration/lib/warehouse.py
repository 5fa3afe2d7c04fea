"""Tags and helpers every warehouse writer shares."""

from __future__ import annotations

import os

from tributary import settings

# Runs carrying this tag are limited to one at a time by the instance's run queue
# (see orchestration/dagster.yaml); the file lock in tributary.locking covers the rest.
WAREHOUSE_WRITER_TAGS = {"tributary/warehouse": "writer"}


def pin_data_dir() -> None:
    """Make TRIBUTARY_DATA_DIR absolute in the environment, so that dbt subprocesses (which
    run inside dbt_project/) and dlt resolve the same data dir as this process."""
    os.environ["TRIBUTARY_DATA_DIR"] = str(settings.data_dir())
    os.environ["DBT_LOG_PATH"] = str(settings.data_dir() / "dbt" / "logs")
