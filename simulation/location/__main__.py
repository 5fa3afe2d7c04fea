"""``python -m simulation.location {generate,replay,sample}``.

- ``generate --out trace.jsonl [--minutes 90]``: write a trace (see generator.py);
- ``replay --url http://127.0.0.1:8000 [--trace F] [--rate 2000] [--connections 32]``: send it
  to a running API and print status counts and latency percentiles as JSON;
- ``sample``: what ``make sample`` runs — the trace's points go into the *embedded* store of
  ``$TRIBUTARY_DATA_DIR`` through the API's own parse → group-commit write path (no server
  runs during ``make sample``), so the warehouse load has minutes to read.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from simulation.location import generator
from simulation.location.replay import replay


def sample(records: list[generator.Record], batch: int = 500) -> dict[str, int]:
    """Store the records' valid points as the API would (invalid ones would get a 400)."""
    from tributary.location.points import Invalid, parse
    from tributary.location.store import open_store

    store = open_store()
    counts: Counter[str] = Counter()
    pending = []
    try:
        for r in records:
            try:
                pending.append(parse(r.body.encode()))
            except Invalid:
                counts["rejected"] += 1
            if len(pending) >= batch:
                counts.update("stored" if ok else "duplicate" for ok in store.write_batch(pending))
                pending = []
        counts.update("stored" if ok else "duplicate" for ok in store.write_batch(pending))
    finally:
        store.close()
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--out", type=Path, required=True)
    rep = sub.add_parser("replay")
    rep.add_argument("--url", default="http://127.0.0.1:8000")
    rep.add_argument("--trace", type=Path, default=None, help="default: a fresh trace")
    rep.add_argument("--rate", type=float, default=None, help="requests/s; default: flat out")
    rep.add_argument("--connections", type=int, default=32)
    rep.add_argument("--api-key", default=None)
    sub.add_parser("sample")
    for p in (gen, rep, sub.choices["sample"]):
        p.add_argument("--minutes", type=int, default=90)
        p.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    if args.command == "generate":
        records = generator.generate(args.minutes, args.seed)
        generator.write(records, args.out)
        print(f"location: {len(records)} records {dict(Counter(r.kind for r in records))}")
    elif args.command == "replay":
        records = (
            generator.read(args.trace)
            if args.trace
            else generator.generate(args.minutes, args.seed)
        )
        result = replay(
            args.url,
            [r.body.encode() for r in records],
            rate=args.rate,
            connections=args.connections,
            api_key=args.api_key,
        )
        print(json.dumps(result.summary()))
    else:
        records = generator.generate(args.minutes, args.seed)
        print(f"location: {sample(records)} into the embedded store")


if __name__ == "__main__":
    main()
