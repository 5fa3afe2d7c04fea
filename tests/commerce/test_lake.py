"""The commerce lake's landing: views by UTC day, quarantine, the load record last; a crash
before the record leaves rows no reader counts, and the re-run lands everything exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from loaders.commerce import lake as commerce_lake
from loaders.commerce.views_pipeline import DOMAIN
from loaders.file_domain import load_once
from tests.commerce.edge import batch, ms, view

# The rule of stg_commerce__view_files / current_batch_rows: a file's rows come from the batch
# its newest load record names.
CURRENT_VIEWS = """
with loads as (
    select source_file, batch_id,
        row_number() over (partition by source_file order by batch_id desc) as load_rank
    from read_parquet('{lake}/loads/*.parquet')
)
select v.product, v.date, count(*) from read_parquet('{lake}/views/*/*.parquet',
    hive_partitioning = true, hive_types_autocast = false) as v
join loads on v.source_file = loads.source_file and v.batch_id = loads.batch_id
where load_rank = 1 group by all order by all
"""


def _write(views: Path) -> None:
    (views / "iOS").mkdir(parents=True)
    events = [view(ms("2015-06-01 20:30:00.000"), "A"), view(ms("2015-06-01 21:30:00.000"), "B")]
    (views / "iOS" / "one.json").write_text(json.dumps([batch(events)]))
    (views / "iOS" / "bad.json").write_text("{not json")


def test_a_crash_before_the_load_record_lands_nothing_twice(
    commerce_env, monkeypatch: pytest.MonkeyPatch
):
    lake = commerce_env.data_dir / "lake" / "commerce"
    _write(commerce_env.views)
    real_publish = commerce_lake.CommerceLake.publish

    def crash_at_the_record(self, local, rel):
        if rel.startswith("loads/"):
            raise RuntimeError("crash before the commit record")
        return real_publish(self, local, rel)

    with monkeypatch.context() as mp:
        mp.setattr(commerce_lake.CommerceLake, "publish", crash_at_the_record)
        with pytest.raises(Exception, match="crash before the commit record"):
            load_once(DOMAIN)
    # 21:30 in Sao Paulo is the next UTC day: two day folders
    crashed = sorted(p.parent.name for p in lake.glob("views/*/*.parquet"))
    assert crashed == ["date=2015-06-01", "date=2015-06-02"]
    assert not list(lake.glob("loads/*.parquet"))

    result = load_once(DOMAIN)
    assert result.reconciliation.passed
    assert (result.reconciliation.valid, result.reconciliation.quarantined) == (2, 1)
    found = duckdb.sql(CURRENT_VIEWS.format(lake=lake)).fetchall()
    assert found == [("A", "2015-06-01", 1), ("B", "2015-06-02", 1)]
    assert len(list(lake.glob("views/*/*.parquet"))) == 4  # the crashed batch's stay unread
    assert len(list(lake.glob("quarantine/*.parquet"))) == 2
    # nothing pending: a third load reads nothing and lands nothing
    assert load_once(DOMAIN).plan.empty
    assert len(list(lake.glob("loads/*.parquet"))) == 1
