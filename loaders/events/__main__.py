"""The events lake without Dagster: ``python -m loaders.events <command>``.

- ``land``: land every pending file of ``EVENTS_URL`` (``--url``, ``--lake`` override);
- ``hour --hour 2024-03-01T13``: backfill one UTC hour from every input file;
- ``stream``: consume the NATS subject until idle (``--forever`` keeps consuming);
- ``features``: apply the subject to the online feature store until idle (``--follow``: keep
  consuming); its own durable consumer, acknowledged after each commit;
- ``compact``: compact every partition of the lake with more than ``--min-files`` files;
- ``reconcile``: check every committed batch against the lake;
- ``kpis --date 2024-03-01``: the daily KPIs computed straight from the lake.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime

from tributary.progress import Progress


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders.events", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("land", "hour", "stream", "features", "compact", "reconcile", "kpis"):
        p = sub.add_parser(name)
        p.add_argument("--lake", default=None, help="lake URL (default EVENTS_LAKE_URL)")
        if name in ("land", "hour"):
            p.add_argument("--url", default=None, help="input URL (default EVENTS_URL)")
        if name == "hour":
            p.add_argument("--hour", required=True, help="UTC hour, e.g. 2024-03-01T13")
        if name == "stream":
            p.add_argument("--forever", action="store_true")
            p.add_argument("--batch-size", type=int, default=5000)
        if name == "features":
            p.add_argument("--follow", action="store_true")
            p.add_argument("--batch-size", type=int, default=2000)
        if name == "compact":
            p.add_argument("--min-files", type=int, default=None)
        if name == "kpis":
            p.add_argument("--date", required=True, type=date.fromisoformat)
    args = parser.parse_args(argv)
    # Imported per command: the features consumer starts without DuckDB or pyarrow.
    if args.command == "features":
        from loaders.events import features
    else:
        from loaders.events import compaction, files, kpis, reconcile, stream
        from loaders.events.lake import Lake, lake_lock

    if args.command == "land":
        load = files.land_files(args.url, args.lake)
        out = {
            "listed": load.listed,
            "pending": load.pending,
            "batches": [b.record() for b in load.batches],
        }
    elif args.command == "hour":
        hour = datetime.strptime(args.hour, "%Y-%m-%dT%H")
        out = {"batches": [b.record() for b in files.land_hour(hour, args.url, args.lake)]}
    elif args.command == "stream":
        out = {"batches": 0, "acked": 0}
        with Progress("events: stream", unit="batches") as shown:
            while True:
                load = stream.consume_sync(lake_url=args.lake, batch_size=args.batch_size)
                out["batches"] += len(load.batches)
                out["acked"] += load.acked
                shown.advance(len(load.batches), load.acked)
                if not args.forever:
                    break
                if not load.batches:
                    time.sleep(1)
    elif args.command == "features":
        with Progress("events: features", unit="batches") as shown:
            load = features.consume_features_sync(
                follow=args.follow,
                batch_size=args.batch_size,
                on_batch=lambda load: shown.advance(1, load.acked - shown.rows),
            )
        out = {"batches": load.batches, "acked": load.acked, **load.applied.__dict__}
    elif args.command == "compact":
        lake = Lake(args.lake)
        with lake_lock():
            con = lake.connect()
            try:
                out = compaction.compact(lake, con, None, args.min_files)
            finally:
                con.close()
    elif args.command == "reconcile":
        lake = Lake(args.lake)
        con = lake.connect()
        try:
            check = reconcile.reconcile(lake, con)
        finally:
            con.close()
        out = {**check.metadata(), "passed": check.passed}
        print(json.dumps(out, indent=2))
        return 0 if check.passed else 1
    else:
        print(kpis.main_json(args.date, args.lake))
        return 0
    print(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
