"""``python -m simulation.gaming [--files N --lines N --out DIR]``: write sample event files."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.gaming.generator import write_files
from tributary import settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="default: the gaming landing dir")
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--lines", type=int, default=500, help="lines per file")
    parser.add_argument("--players", type=int, default=2_000)
    parser.add_argument("--defect-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start-index", type=int, default=0)
    args = parser.parse_args()
    out = args.out or settings.landing_dir("gaming")
    result = write_files(
        out, args.files, args.lines, args.players, args.defect_rate, args.seed, args.start_index
    )
    print(
        f"gaming: {result.files} files, {result.lines} lines ({result.defective_lines} defective) in {out}"
    )


if __name__ == "__main__":
    main()
