"""Load pending player-event files without Dagster: ``python -m loaders.players``.

Only loads ``players_raw``; the marts and the serving snapshot need ``dbt build`` (the
``players_refresh`` job does all three).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict

from loaders.batched_load import report
from loaders.players.landing import events_landing
from loaders.players.pipeline import pipeline, plan_load
from tributary.locking import warehouse_lock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="landing URL (default: PLAYERS_EVENTS_URL or data dir)")
    parser.add_argument("--max-files", type=int, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    with warehouse_lock():
        plan = plan_load(events_landing(args.url), args.max_files)
        pipeline().run(plan.source())
    print(json.dumps(asdict(report(plan, started))))


if __name__ == "__main__":
    main()
