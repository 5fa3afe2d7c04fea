"""Product-view files: three shapes, what counts as a view, quarantine with reasons."""

from __future__ import annotations

import json
from pathlib import Path

from loaders.commerce.views_parsing import parse_files
from loaders.incremental_files import Landing
from tests.commerce.edge import batch, view


def parse(root: Path):
    landing = Landing(str(root))
    files = landing.list()
    return parse_files(landing, files, landing.read(files))


def test_shapes_views_ignored_and_quarantined(tmp_path):
    ios, web = tmp_path / "iOS", tmp_path / "MobileWeb"
    ios.mkdir()
    web.mkdir()
    other = {"event_type": "screen_view", "data": {"timestamp_unixtime_ms": 1}}
    custom = {"event_type": "custom_event", "data": {"event_name": "search"}}
    no_code = view(1_451_900_000_000, "X")
    del no_code["data"]["custom_attributes"]["codeColor"]
    text_ts = view(1_451_900_000_000, "X")
    text_ts["data"]["timestamp_unixtime_ms"] = "1451900000000"
    # array of batches; one batch is not an object, one has no events
    (ios / "a.json").write_text(
        json.dumps([batch([view(1_451_900_000_000.5, "P1"), other]), 5, {"x": 1}])
    )
    # JSON lines with a broken line and identical events (constant ids): both kept
    twice = json.dumps(batch([view(1_451_900_000_000, "P2"), view(1_451_900_000_000, "P2")]))
    (ios / "b.json").write_text(twice + "\n{broken\n" + json.dumps(batch([custom, no_code])) + "\n")
    # one pretty-printed batch
    (web / "c.json").write_text(
        json.dumps(batch([text_ts, view(1_451_900_000_000, "P3")]), indent=2)
    )
    (web / "d.json").write_text('[{"events": [')  # truncated array
    (tmp_path / "Desktop").mkdir()
    (tmp_path / "Desktop" / "e.json").write_text(json.dumps(batch([view(1, "Q")])))

    parsed = parse(tmp_path)
    views = sorted((r["platform"], r["product"], r["event_ms"]) for r in parsed.views.to_pylist())
    assert views == [
        ("MobileWeb", "P3", 1_451_900_000_000.0),
        ("iOS", "P1", 1_451_900_000_000.5),
        ("iOS", "P2", 1_451_900_000_000.0),
        ("iOS", "P2", 1_451_900_000_000.0),
    ]
    reasons = sorted(
        (Path(r["source_file"]).name, r["reason"].split(":")[0])
        for r in parsed.quarantine.to_pylist()
    )
    assert reasons == [
        ("a.json", "batch has no events array"),
        ("a.json", "batch is not a JSON object"),
        ("b.json", "line is not valid JSON"),
        ("b.json", "product view without codeColor"),
        ("c.json", "data.timestamp_unixtime_ms is not a number"),
        ("d.json", "file is not valid JSON"),
        ("e.json", "file is not in a platform folder (iOS/, Android/, MobileWeb/)"),
    ]
    counts = {Path(r["source_file"]).name: r for r in parsed.counts.to_pylist()}
    assert counts["a.json"]["records_read"] == 4  # 2 events + 2 bad batches
    assert counts["a.json"]["ignored_events"] == 1
    assert counts["b.json"]["records_read"] == 5  # 4 events + 1 broken line
    for c in counts.values():
        assert c["records_read"] == c["product_views"] + c["ignored_events"] + c["quarantined"]
    raw = next(
        r["raw"] for r in parsed.quarantine.to_pylist() if r["reason"] == "line is not valid JSON"
    )
    assert raw == "{broken"


def test_empty_folder_parses_to_empty_tables(tmp_path):
    parsed = parse(tmp_path)
    assert parsed.views.num_rows == parsed.quarantine.num_rows == parsed.counts.num_rows == 0
