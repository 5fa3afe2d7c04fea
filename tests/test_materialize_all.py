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
            "INSERT INTO gaming_raw.events SELECT * REPLACE (line_number + 1000 AS line_number) "
            "FROM gaming_raw.events LIMIT 1"
        )
    assert materialize_all.main() == 1
    err = capsys.readouterr().err
    assert "lines_reconcile" in err
