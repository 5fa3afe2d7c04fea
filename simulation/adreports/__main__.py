"""``python -m simulation.adreports [--port 8790 --profile mild]``: run the simulated provider
(defaults: ``ADREPORTS_SIM_PORT``, ``ADREPORTS_SIM_PROFILE``).

The refresh token it accepts is ``ADREPORTS_API_TOKEN`` (default ``sim-refresh-token``), so a
loader configured with the same variable can pull from it.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

from loaders.adreports.settings import AdreportsSettings
from simulation.adreports.faults import PROFILES
from simulation.adreports.server import DEFAULT_REFRESH_TOKEN, running_provider


def main() -> None:
    env, parser = AdreportsSettings(), argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=env.sim_port)
    parser.add_argument("--profile", choices=sorted(PROFILES), default=env.sim_profile)
    args = parser.parse_args()
    token = os.environ.get("ADREPORTS_API_TOKEN") or DEFAULT_REFRESH_TOKEN
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with running_provider(args.port, refresh_token=token, profile=args.profile) as server:
        print(f"adreports provider on {server.url} (profile {args.profile})", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
