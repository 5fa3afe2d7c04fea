"""An independent, plain-Python reading of game-event files: what ``gaming.revenue`` and
``gaming.user_events`` must contain, to check the pipeline's output against.

It implements the validation rules of ``loaders/gaming/parsing.py`` from their description,
deliberately without sharing code with it, for the kinds of lines the generator writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_SPEND = re.compile(r"[0-9]+(\.[0-9]+)?")
_CENT = Decimal("0.01")


@dataclass
class Expected:
    """Totals over a set of files."""

    lines: int = 0
    valid: int = 0
    spend_by_user: dict[str, Decimal] = field(default_factory=dict)

    @property
    def quarantined(self) -> int:
        return self.lines - self.valid

    def revenue(self) -> dict[str, str]:
        """``gaming.revenue`` as the marts must show it: user → total with two decimals."""
        return {
            user: str(total.quantize(_CENT, rounding=ROUND_HALF_UP))
            for user, total in self.spend_by_user.items()
        }


def _non_empty_string(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _real_timestamp(value: str) -> bool:
    if not _TIMESTAMP.fullmatch(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


def valid_event(line: str) -> dict | None:
    """The event of a valid line, else None."""
    if not line.strip():
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if not all(_non_empty_string(event.get(k)) for k in ("user", "timestamp", "evtname")):
        return None
    if not _real_timestamp(event["timestamp"]):
        return None
    spend = event.get("spend")
    if spend is not None and not (isinstance(spend, str) and _SPEND.fullmatch(spend)):
        return None
    return event


def expected_from_files(paths: Iterable[Path]) -> Expected:
    expected = Expected()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
        for line in lines if text else []:
            expected.lines += 1
            event = valid_event(line.removesuffix("\r"))
            if event is None:
                continue
            expected.valid += 1
            total = expected.spend_by_user.get(event["user"], Decimal(0))
            expected.spend_by_user[event["user"]] = total + Decimal(event.get("spend") or 0)
    return expected
