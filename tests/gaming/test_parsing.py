"""The one-pass validation (lines split in Arrow, one DuckDB query) gives exactly the rows of
the previous implementation (:mod:`tests.gaming.previous_parsing`): same lines and line
numbers, same accepted rows, same quarantined raw text and reasons."""

from __future__ import annotations

import json

import pyarrow as pa

from loaders.gaming.parsing import lines_table, validate
from loaders.gaming.shape import shape_columns
from tests.gaming import previous_parsing


def ev(**fields) -> str:
    base = {"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}
    return json.dumps({**base, **fields}, ensure_ascii=False)


DEFECTS = [
    ev(spend="1.99"),
    ev(user="Zoë 山田 🎮", spend=9.99),
    ev(spend=1e5),
    ev(spend=12345678901234567890),
    ev(spend=10**21),
    ev(spend=0),
    ev(spend=None),
    ev(spend="0.0000000001"),
    ev(spend="0.00000000001"),
    ev(spend="1234567890123456789"),
    ev(spend="123456789012345678.5"),
    ev(spend="-1"),
    ev(spend="1,99"),
    ev(spend=""),
    ev(spend=True),
    ev(spend=[1]),
    ev(spend=-2.5),
    ev(extra={"nested": [1, 2]}),
    '{"user": "\\u00e9\\n\\"q\\"", "timestamp": "2017-12-19 10:41:49", "evtname": "x"}',
    '{"user": "first", "user": "second", "timestamp": "2017-12-19 10:41:49", "evtname": "x"}',
    "not json at all",
    "{not json",
    "[1, 2, 3]",
    '"just a string"',
    "42",
    "null",
    "   ",
    "\t",
    "",
    '{"timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
    '{"user": null, "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
    '{"user": 7, "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
    ev(user=""),
    '{"user": "A", "evtname": "iap"}',
    ev(timestamp=1513680109),
    ev(timestamp="2017-02-30 10:00:00"),
    ev(timestamp="2017-12-19T10:41:49"),
    ev(timestamp="2017-12-19 25:00:00"),
    ev(timestamp=" 2017-12-19 10:41:49"),
    '{"user": "A", "timestamp": "2017-12-19 10:41:49"}',
    ev(evtname=3),
    ev(evtname=""),
    '  {"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "padded"}  ',
    # the shapes the one regular expression takes (and near misses it must leave to JSON)
    '{"user":"A","timestamp":"2017-12-19 10:41:49","evtname":"iap","spend":"01.50"}',
    ev(timestamp="2017-12-19 24:00:00", spend="1.00"),
    '{"user": "a\tb", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap", "spend": null}',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}{}',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap", "spend": "1."}',
    # the compiled shape scanner's edges (loaders/gaming/shape.py): dates, digits, spacing
    ev(timestamp="2016-02-29 23:59:59"),
    ev(timestamp="2100-02-29 00:00:00"),
    ev(timestamp="2000-02-29 00:00:00"),
    ev(timestamp="2017-04-31 00:00:00"),
    ev(timestamp="0000-01-01 00:00:00"),
    ev(timestamp="2017-12-19 10:60:00"),
    ev(timestamp="2017-12-19 10:41:60"),
    ev(timestamp="2017-00-19 10:41:49"),
    ev(timestamp="2017-12-00 10:41:49"),
    ev(user="del\x7fchar"),
    ev(spend="1.12345678901"),
    ev(spend="1234567890123456789.5"),
    ev(spend="123456789012345678.1234567890"),
    '{"user" : "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
    '{"user":  "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap"}',
    '{"user": "A","timestamp": "2017-12-19 10:41:49" ,"evtname": "iap"}',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap", "spend": nul}',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap", "spend": 1.5}',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap", "spend": "1.5"} ',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "iap",}',
    '{"user": "A", "timestamp": "2017-12-19 10:41:49", "evtname": "i"',
]


def contents() -> dict[str, bytes]:
    body = "\n".join(DEFECTS).encode()
    return {
        # not in name order, as a caller may hand them
        "b/0002.json": body + b"\n",
        "a/0001.json": body.replace(b"\n", b"\r\n"),  # CRLF, no final newline
        "c/0003.json": b'{"user": "\xff", "timestamp": "2017-12-19 10:41:49", "evtname": "i"}\r\n'
        + body
        + b"\n\xc3\x28\n\n",
        "d/empty.json": b"",
        "d/newline.json": b"\n",
        "d/two-newlines.json": b"\n\n",
        "d/cr.json": b"\r\n\r",
    }


def test_lines_table_matches_the_python_split():
    data = contents()
    new, old = lines_table(data), previous_parsing.lines_table(data)
    assert new.schema == old.schema
    assert new.to_pylist() == old.to_pylist()
    assert lines_table({}).num_rows == 0


def test_validation_matches_the_previous_implementation_row_for_row():
    lines = previous_parsing.lines_table(contents())
    events, quarantine = validate(lines_table(contents()))
    old_events, old_quarantine = previous_parsing.validate(lines)
    assert events.schema == old_events.schema
    assert events.to_pylist() == old_events.to_pylist()
    assert quarantine.schema == old_quarantine.schema
    assert quarantine.to_pylist() == old_quarantine.to_pylist()
    assert events.num_rows + quarantine.num_rows == lines.num_rows
    reasons = set(quarantine["reason"].to_pylist())
    assert len(reasons) == 17  # every kind of defect is in the sample
    assert pa.compute.all(pa.compute.is_valid(quarantine["raw"])).as_py()


def test_the_shape_scanner_takes_the_usual_lines_apart():
    usual = [ev(spend="1.99"), ev(), ev(spend=None), ev(user="Zoë", spend="12.5")]
    compact = '{"user":"B","timestamp":"2016-02-29 00:00:00","evtname":"x","spend":"7"}'
    others = [ev(timestamp="2017-02-30 10:00:00"), ev(spend=9.99), " " + ev(), ev(user='q"')]
    lines = lines_table({"f.json": "\n".join([*usual, compact, *others]).encode()})
    ok, (user, timestamp, evtname, spend) = shape_columns(
        lines["raw"].combine_chunks(), lines["utf8_ok"].combine_chunks()
    )
    assert ok.to_pylist() == [True] * 5 + [False] * 4
    assert user.to_pylist() == ["A", "A", "A", "Zoë", "B"] + [None] * 4
    assert timestamp.to_pylist()[3:5] == ["2017-12-19 10:41:49", "2016-02-29 00:00:00"]
    assert evtname.to_pylist()[4:] == ["x"] + [None] * 4
    assert spend.to_pylist() == ["1.99", None, None, "12.5", "7"] + [None] * 4
