"""``python -m simulation.events [--events N --files N --out DIR]``: write sample event files."""

from __future__ import annotations

import argparse
from pathlib import Path

from loaders.events.settings import EventsSettings
from simulation.events.generator import write_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="default: EVENTS_URL (a folder)")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--hours", type=int, default=6)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--products", type=int, default=None, help="default: 5 per user")
    parser.add_argument("--defect-rate", type=float, default=0.01)
    parser.add_argument("--duplicate-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    out = args.out or Path(EventsSettings().url)
    g = write_events(
        out,
        args.events,
        args.files,
        args.seed,
        hours=args.hours,
        users=args.users,
        defect_rate=args.defect_rate,
        duplicate_rate=args.duplicate_rate,
        products=args.products,
    )
    print(
        f"events: {g.files} files, {g.lines} lines ({g.defective} defective, "
        f"{g.duplicates} redelivered) in {out}"
    )


if __name__ == "__main__":
    main()
