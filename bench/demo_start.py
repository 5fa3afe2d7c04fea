"""How long `make demo` takes on a fresh clone to bring the Dagster UI up (issue 12's goal:
within 120 s), and then the rest: every domain published by the API, the dbt docs served.

The clone is made from this checkout's HEAD into a temp dir, so it starts with no `.venv`,
no `.tools` and no data: what a newcomer pays with a warm package cache (uv's cache is the
machine's). The services get free ports. The baseline in the same run is the time the first
build takes to finish (every asset materialised, docs generated): how long the UI took when
`make demo` started it only after that build.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import REPO, free_port, machine_info, rule, write_result

SETTINGS_TO_DROP = ("TRIBUTARY_DATA_DIR", "DAGSTER_HOME", "DBT_LOG_PATH", "VIRTUAL_ENV")


def _answers(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read() if response.status == 200 else None
    except OSError:
        return None


def _all_published(body: bytes | None) -> bool:
    if body is None:
        return False
    domains = json.loads(body).get("domains", {})
    return bool(domains) and all(d.get("published") for d in domains.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-cap", type=float, default=1200, help="give up after (s)")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs")
    args = parser.parse_args()
    info = machine_info()
    ports = {
        name: free_port()
        for name in (
            "TRIBUTARY_DAGSTER_PORT",
            "TRIBUTARY_API_PORT",
            "TRIBUTARY_DOCS_PORT",
            "TRIBUTARY_CODE_SERVER_PORT",
            "ADREPORTS_SIM_PORT",
        )
    }
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_TO_DROP}
    env.update({k: str(v) for k, v in ports.items()})
    ui = f"http://127.0.0.1:{ports['TRIBUTARY_DAGSTER_PORT']}/server_info"
    health = f"http://127.0.0.1:{ports['TRIBUTARY_API_PORT']}/health"
    docs = f"http://127.0.0.1:{ports['TRIBUTARY_DOCS_PORT']}/"
    tmp = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    clone = tmp / "tributary"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    log = open(tmp / "demo.log", "wb")  # noqa: SIM115 - closed below
    started = time.monotonic()
    demo = subprocess.Popen(
        ["make", "demo"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    marks: dict[str, float] = {}
    try:
        while len(marks) < 3 and time.monotonic() - started < args.time_cap:
            if demo.poll() is not None:
                raise SystemExit(f"make demo exited with {demo.returncode}: see {tmp}/demo.log")
            for name, done in (
                ("ui", lambda: _answers(ui) is not None),
                ("api_all_published", lambda: _all_published(_answers(health))),
                ("docs", lambda: _answers(docs) is not None),
            ):
                if name not in marks and done():
                    marks[name] = round(time.monotonic() - started, 1)
            time.sleep(0.5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(demo.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            demo.wait(timeout=40)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(demo.pid, signal.SIGKILL)
        log.close()
    info["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(rule("make demo on a fresh clone"))
    for name, seconds in marks.items():
        print(f"{name:>18}: {seconds:7.1f} s")
    if "ui" in marks and "docs" in marks:
        ratio = marks["docs"] / marks["ui"]
        print(f"UI up {ratio:.1f}x sooner than the first build's end (docs served)")
    print(f"load average before / after: {info['loadavg']} / {info['loadavg_after']}")
    write_result("demo_start", {"machine": info, "seconds": marks})
    if args.keep:
        print(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if len(marks) < 3:
        raise SystemExit(f"not everything came up within {args.time_cap} s: {marks}")


if __name__ == "__main__":
    main()
