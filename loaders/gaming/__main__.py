"""Load pending game-event files without Dagster: ``python -m loaders.gaming``."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict

from loaders.batched_load import report
from loaders.gaming.landing import Landing
from loaders.gaming.pipeline import pipeline, plan_load, publish_serving
from tributary.locking import warehouse_lock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="landing URL (default: GAMING_EVENTS_URL or data dir)")
    parser.add_argument("--max-files", type=int, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    with warehouse_lock():
        plan = plan_load(Landing(args.url), args.max_files)
        pipeline().run(plan.source())
        publish_serving()
    print(json.dumps(asdict(report(plan, started))))


if __name__ == "__main__":
    main()
