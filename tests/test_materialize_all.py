"""`make materialize`: every asset once, non-zero exit when an asset or a check fails."""

from __future__ import annotations

import pytest

from tests.gaming.helpers import event, land, load
from tributary import warehouse


@pytest.mark.slow
def test_materialize_all_succeeds_then_fails_on_a_broken_reconciliation(built_data_dir, capsys):
    from orchestration import materialize_all  # imported once the manifest is there

    land("0000.json", [event("A", spend="1.00"), "junk"])
    assert materialize_all.main() == 0

    # Corrupt the raw layer behind the loader's back: a row no load ever read.
    load()
    with warehouse.connect() as con:
        con.execute(
            "INSERT INTO gaming_raw.quarantine SELECT * REPLACE (line_number + 1000 AS line_number) "
            "FROM gaming_raw.quarantine LIMIT 1"
        )
    assert materialize_all.main() == 1
    err = capsys.readouterr().err
    assert "lines_reconcile" in err


def test_on_spark_it_materialises_every_asset_of_the_domains_spark_builds(dbt_manifest):
    from orchestration import materialize_all
    from orchestration.definitions import defs
    from orchestration.lib.dbt import ENGINE_DOMAINS

    graph = defs.resolve_asset_graph()
    spark = materialize_all.selection("spark").resolve(graph)
    assert {graph.get(key).group_name for key in spark} == set(ENGINE_DOMAINS["spark"])
    assert {key.to_user_string() for key in spark} >= {
        "events_lake/events",
        "events/events_daily_kpis",
        "events/events_daily_type_counts",
        "events/events_daily_active_users",
        "commerce_views/file_loads",
        "commerce_shop/orders",
        "commerce/ctr_minute",
        "serving/commerce",
        "players_raw/events",
        "players/quarantine",
        "players/user_days",
        "players/game_stats",
        "serving/players",
    }
    everything = materialize_all.selection("duckdb").resolve(graph)
    assert spark < everything and {"gaming/revenue"} <= {k.to_user_string() for k in everything}
