"""The validation's fast path against its rule-by-rule reference, and in-batch de-duplication."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa

from loaders.events import files
from loaders.events.validation import classify_sql
from simulation.events.generator import write_events
from tests.events.helpers import T0, event, expected_rows, lake_rows, python_valid, write_lines


def tricky_lines() -> list[bytes]:
    """Valid and invalid lines near every edge the fast path tests."""
    u = str(uuid.uuid4())
    good = event(id_=u)

    def mutated(mutate) -> bytes:
        ev = json.loads(json.dumps(good))
        mutate(ev)
        return json.dumps(ev).encode()

    raw_good = json.dumps(good).encode()
    return [
        raw_good,
        b"   " + raw_good,  # leading spaces
        b"\t " + raw_good,  # leading tab (JSON whitespace)
        b" \t ",  # whitespace only: empty
        raw_good.replace(u.encode(), u.upper().encode()),  # upper-case UUID
        raw_good.replace(u[:1].encode(), b"\\u00" + u[:1].encode().hex().encode(), 1),  # escaped
        raw_good.replace(b"product_viewed", b"product\\u005fviewed"),  # escaped type
        mutated(lambda e: e["data"].update(id=" " + u)),
        mutated(lambda e: e["data"].update(id="{" + u + "}")),
        mutated(lambda e: e["data"].update(id=u.replace("-", ""))),
        mutated(lambda e: e["data"].update(type="x" * 100)),
        mutated(lambda e: e["data"].update(type="x" * 101)),
        mutated(lambda e: e["data"].update(type="-a")),
        mutated(lambda e: e["data"].update(attributes={})),
        mutated(lambda e: e["data"].update(attributes=[])),
        mutated(lambda e: e["data"].update(attributes=None)),
        mutated(lambda e: e.update(meta={"created_at": T0})),  # no service
        mutated(lambda e: e["meta"].update(service={"nested": 1})),
        mutated(lambda e: e["data"]["attributes"].update(user_id=12)),
        mutated(lambda e: e["data"]["attributes"].update(user_id=None)),
        mutated(lambda e: e["meta"].update(created_at=946_684_800_000)),  # first valid ms
        mutated(lambda e: e["meta"].update(created_at=946_684_799_999)),
        mutated(lambda e: e["meta"].update(created_at=4_102_444_799_999)),  # last valid ms
        mutated(lambda e: e["meta"].update(created_at=4_102_444_800_000)),
        mutated(lambda e: e["meta"].update(created_at=-T0)),
        mutated(lambda e: e["meta"].update(created_at=2**64)),
        mutated(lambda e: e["meta"].update(created_at=10**30)),
        mutated(lambda e: e["meta"].update(created_at=1.0 * T0)),
        mutated(lambda e: e["meta"].update(created_at=False)),
        raw_good.replace(str(T0).encode(), str(T0).encode() + b".0"),
        raw_good.replace(str(T0).encode(), b"1.70928e12"),
        raw_good.replace(b'"meta":', b'"meta" :  '),
        raw_good + b"   ",
        b'{"data": {"id": "' + u.encode() + b'", "type": "a", "attributes": {}}, "meta": {"created_at": 1709280000000}} x',
        b"null",
        b'"a string"',
        b"{}",
        b"   ",
    ]  # fmt: skip


def classify(con: duckdb.DuckDBPyConnection, lines: list[bytes], fast_path: bool) -> list[tuple]:
    con.register(
        "raw_lines",
        pa.table({"position": list(range(len(lines))), "raw": [x.decode() for x in lines]}),
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lines_in AS "
        "SELECT 'test' AS source, position, raw, TRUE AS utf8_ok FROM raw_lines"
    )
    return con.execute(f"SELECT * FROM ({classify_sql(fast_path)}) ORDER BY position").fetchall()


def test_fast_path_agrees_with_the_rule_by_rule_reference(tmp_path: Path):
    g = write_events(tmp_path / "sim", events=5_000, files=1, defect_rate=0.2)
    simulated = (tmp_path / "sim").glob("*.json").__next__().read_bytes().split(b"\n")[:-1]
    lines = tricky_lines() + simulated
    con = duckdb.connect()
    fast = classify(con, lines, fast_path=True)
    reference = classify(con, lines, fast_path=False)
    assert fast == reference
    assert g.defective > 0 and sum(r[2] is not None for r in fast) >= g.defective
    # And both agree with the plain-Python reading of the rules.
    for raw, row in zip(lines, fast, strict=True):
        expected = python_valid(raw)
        assert (row[2] is None) == (expected is not None), (raw, row[2])
        if expected is not None:
            assert str(row[4]) == expected["id"]
            assert row[5] == expected["type"]
    con.close()


def test_differing_copies_of_an_id_land_the_same_winner_in_any_order(events_env):
    u = str(uuid.uuid4())
    copies = [event("a", T0, id_=u, n=n) for n in (3, 1, 2)]
    write_lines(events_env["landing"], "0001.json", copies)
    (b,) = files.land_files().batches
    assert (b.landed, b.duplicates_in_batch) == (1, 2)
    first = lake_rows(events_env["lake"])

    other = events_env["data"] / "other"
    write_lines(events_env["landing"].parent / "reversed", "0001.json", copies[::-1])
    files.land_files(url=str(events_env["landing"].parent / "reversed"), lake_url=str(other))
    assert lake_rows(other) == first
    assert first[0][7] == {"user_id": "u1", "n": 1}  # the smallest content wins
    raw = [json.dumps(c).encode() for c in copies]
    assert len(first) == len(expected_rows(raw)) == 1
