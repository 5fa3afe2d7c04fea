"""Progress of long loads: shown on a terminal (files done, rows, rows/s), silent elsewhere.

The loads are the real ones (a gaming load through ``load_once``, an events landing); only
the terminal is a stand-in: a text stream that says it is a TTY."""

from __future__ import annotations

import io
import json
import re
import sys

import pytest

from loaders.events.files import land_files
from loaders.file_domain import load_once
from loaders.gaming import pipeline as gaming
from tests.events.helpers import T0, event, write_lines
from tests.gaming.helpers import event as game_event
from tests.gaming.helpers import land
from tributary.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Log(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_progress_line_counts_files_rows_and_rate():
    out = Terminal()
    with Progress("demo: loading", total_files=3, stream=out) as shown:
        shown.advance(files=2, rows=1500)
        shown.advance(files=1, rows=500)
    last = out.getvalue().split("\r\x1b[K")[-1]
    assert re.fullmatch(r"demo: loading: 3/3 files, 2,000 rows, [\d,]+ rows/s, [\d.]+ s\n", last)


def test_progress_is_silent_when_stderr_is_not_a_terminal():
    out = Log()
    with Progress("demo", stream=out) as shown:
        shown.advance(files=1, rows=10)
    assert out.getvalue() == ""


def test_a_file_domain_load_shows_progress_on_a_terminal_only(
    data_dir, monkeypatch: pytest.MonkeyPatch
):
    land("0000.json", [game_event("a"), game_event("b"), "junk"])
    land("0001.json", [game_event("c")])
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    load_once(gaming.DOMAIN)
    shown = terminal.getvalue()
    # three valid rows and one quarantined line, two files
    assert "gaming: loading: 2/2 files, 4 rows" in shown

    land("0002.json", [game_event("d")])
    log = Log()
    monkeypatch.setattr(sys, "stderr", log)
    load_once(gaming.DOMAIN)
    assert log.getvalue() == ""


def test_events_landing_shows_progress_on_a_terminal(data_dir, monkeypatch):
    landing = data_dir / "landing" / "events"
    for var in ("EVENTS_NATS_URL", "AWS_ENDPOINT_URL", "EVENTS_BATCH_BYTES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("EVENTS_URL", str(landing))
    monkeypatch.setenv("EVENTS_LAKE_URL", str(data_dir / "lake" / "events"))
    write_lines(landing, "0001.json", [event(at=T0), event(at=T0 + 1), "junk"])
    write_lines(landing, "0002.json", [event(at=T0 + 2)])
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    load = land_files()
    assert sum(b.read for b in load.batches) == 4
    assert "events: landing: 2/2 files, 4 rows" in terminal.getvalue()
    json.dumps([b.record() for b in load.batches])  # the CLI's output still serialises
