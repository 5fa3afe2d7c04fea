"""Generate JSON-lines game-event files with a controlled share of defects.

Realistic enough to exercise the pipeline: a few thousand players with skewed activity
(some whales), in-app purchases at store price points, unicode names, and defects of every
kind the validator knows (bad JSON, missing fields, impossible dates, negative spend …).
Deterministic for a given seed, so tests and benchmarks can rely on exact counts.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

PRICE_POINTS = ["0.99", "1.99", "4.99", "9.99", "19.99", "49.99", "99.99"]
EVENT_NAMES = ["login", "tutorial", "level_up", "match_end", "ad_view", "iap", "logout"]
NAME_PARTS = [
    "ana",
    "björn",
    "chloé",
    "dmitri",
    "eun",
    "fatima",
    "gō",
    "hugo",
    "ines",
    "jürgen",
    "kai",
    "léa",
    "mateo",
    "noor",
    "oğuz",
    "priya",
    "quinn",
    "rené",
    "sven",
    "zoë",
]

DEFECTS = [
    lambda r, e: "{not json",
    lambda r, e: json.dumps([e]),
    lambda r, e: json.dumps({k: v for k, v in e.items() if k != "user"}),
    lambda r, e: json.dumps({k: v for k, v in e.items() if k != "evtname"}),
    lambda r, e: json.dumps({**e, "timestamp": "2017-02-30 10:00:00"}),
    lambda r, e: json.dumps({**e, "timestamp": "19/12/2017 10:41"}),
    lambda r, e: json.dumps({**e, "spend": "-1.99"}),
    lambda r, e: json.dumps({**e, "spend": "abc"}),
    lambda r, e: json.dumps({**e, "user": 42}),
    lambda r, e: "",
]


@dataclass
class GeneratedFiles:
    files: int
    lines: int
    defective_lines: int


def _players(rng: random.Random, count: int) -> list[str]:
    return [f"{rng.choice(NAME_PARTS)}_{i:05d}" for i in range(count)]


def event_lines(
    rng: random.Random, players: list[str], start: datetime, lines: int, defect_rate: float
) -> tuple[list[str], int]:
    """``lines`` JSON lines starting at ``start``; returns them and how many are defective."""
    out: list[str] = []
    bad = 0
    t = start
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(players))]  # Zipf-ish activity
    users = rng.choices(players, weights=weights, k=lines)
    for user in users:
        t += timedelta(seconds=rng.randint(0, 4))
        name = rng.choices(EVENT_NAMES, weights=[20, 3, 8, 15, 10, 4, 10])[0]
        event = {"user": user, "timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "evtname": name}
        if name == "iap":
            event["spend"] = rng.choice(PRICE_POINTS)
        if rng.random() < defect_rate:
            out.append(rng.choice(DEFECTS)(rng, event))
            bad += 1
        else:
            out.append(json.dumps(event, ensure_ascii=False))
    return out, bad


def write_files(
    out_dir: Path,
    files: int = 20,
    lines_per_file: int = 500,
    players: int = 2_000,
    defect_rate: float = 0.01,
    seed: int = 7,
    start_index: int = 0,
) -> GeneratedFiles:
    """Write ``files`` files named ``NNNN.json`` (from ``start_index``) into ``out_dir``."""
    rng = random.Random(seed + start_index)
    names = _players(random.Random(seed), players)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = datetime(2017, 12, 19, 0, 0, 0) + timedelta(minutes=10 * start_index)
    total_bad = 0
    for i in range(start_index, start_index + files):
        lines, bad = event_lines(rng, names, start, lines_per_file, defect_rate)
        start += timedelta(minutes=10)
        total_bad += bad
        path = out_dir / f"{i:04d}.json"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(path)  # appear whole, like an S3 PUT
    return GeneratedFiles(files, files * lines_per_file, total_bad)
