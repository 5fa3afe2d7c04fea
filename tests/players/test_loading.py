"""The players loader on its own: structural quarantine at load, incremental by file, rewritten
files re-read, the time-zone file, and the reconciliation."""

from __future__ import annotations

from loaders.file_domain import load_once
from loaders.players import pipeline as players
from tests.players.helpers import land, land_timezones, ping, rows
from tributary import warehouse


def _load() -> players.LoadPlan:
    return load_once(players.DOMAIN).plan


def _reconciles() -> players.Reconciliation:
    with warehouse.connect(read_only=True, lock=False) as con:
        return players.reconcile(con)


def test_structurally_invalid_lines_are_quarantined_at_load(data_dir):
    land_timezones({"US": "America/New_York", "XX": "Not/AZone", "": "Europe/Paris"})
    land("0000.jsonl", [ping(1, 100, "a"), "{not json", "", "[1]", '"text"', ping(2, 160, "a")])
    (data_dir / "landing" / "players" / "0001.jsonl").write_bytes(b'{"a": "\xff"}\n')
    plan = _load()
    assert (plan.lines_read, plan.valid) == (7, 2)
    assert rows("SELECT line_number, reason FROM players_raw.quarantine ORDER BY ALL") == [
        (1, "line is not valid UTF-8"),
        (2, "line is not valid JSON"),
        (3, "line is empty"),
        (4, "line is not a JSON object"),
        (5, "line is not a JSON object"),
    ]
    assert rows("SELECT * FROM players_raw.timezones") == [("US", "America/New_York")]
    check = _reconciles()
    assert check.passed and check.lines_read == 7


def test_only_new_or_rewritten_files_are_read(data_dir):
    land("0000.jsonl", [ping(1, 100, "a")])
    assert len(_load().pending) == 1
    assert _load().empty  # nothing new: nothing read
    land("0001.jsonl", [ping(2, 100, "b")])
    plan = _load()
    assert [p.rsplit("/", 1)[-1] for p in (f.path for f in plan.pending)] == ["0001.jsonl"]
    land("0000.jsonl", [ping(1, 100, "a"), ping(3, 160, "a")])  # rewritten, longer
    plan = _load()
    assert len(plan.rewritten) == 1
    # the manifest points at the batch holding each file's current content
    assert rows(
        "SELECT count(*) FROM players_raw.events e JOIN players_raw.files f "
        "USING (source_file, batch_id)"
    ) == [(3,)]
    assert _reconciles().passed
