"""What both benchmarks share: throwaway data dirs, child processes in their own process group,
a global time cap, statistics and the JSON result file."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
RESULTS_DIR = REPO / "bench" / "results"
DBT_PROJECT_DIR = REPO / "dbt_project"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"

# Variables that would point a child at other data than the benchmark's own.
_FOREIGN_VARS = ("GAMING_EVENTS_URL",)


class BenchTimeout(Exception):
    """The global time cap of a benchmark was reached."""


# ---------------------------------------------------------------------------- time limits


def install_time_cap(seconds: int) -> None:
    """Raise ``BenchTimeout`` in the main thread after ``seconds``; SIGTERM acts like Ctrl-C.

    Either way the exception unwinds through the callers' ``finally`` blocks, which stop the
    child process groups.
    """

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise BenchTimeout(f"global time cap of {seconds} s reached")

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(seconds)


def clear_time_cap() -> None:
    """Cancel the cap and ignore further Ctrl-C/SIGTERM, so clean-up runs to its end."""
    signal.alarm(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@dataclass
class Deadline:
    """An absolute monotonic deadline; ``cap`` bounds a single wait by what is left."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def cap(self, timeout: float) -> float:
        return min(timeout, self.remaining())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at


# ---------------------------------------------------------------------------- data dirs


@dataclass(frozen=True)
class BenchDirs:
    """A throwaway Tributary data dir with its own Dagster home."""

    root: Path
    data_dir: Path
    dagster_home: Path

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing" / "gaming"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def make_dirs(root: Path) -> BenchDirs:
    """Create ``root/data`` and ``root/dagster_home`` (with the project's dagster.yaml)."""
    dirs = BenchDirs(root, root / "data", root / "dagster_home")
    for path in (dirs.data_dir, dirs.dagster_home, dirs.landing, dirs.logs):
        path.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "orchestration" / "dagster.yaml", dirs.dagster_home / "dagster.yaml")
    return dirs


def point_at(dirs: BenchDirs) -> dict[str, str]:
    """Point this process at ``dirs`` and return the environment for child processes."""
    env = dict(os.environ)
    for var in _FOREIGN_VARS:
        env.pop(var, None)
        os.environ.pop(var, None)
    settings = {
        "TRIBUTARY_DATA_DIR": str(dirs.data_dir),
        "DAGSTER_HOME": str(dirs.dagster_home),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_PATH": str(dirs.data_dir / "dbt" / "logs"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DO_NOT_TRACK": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(settings)
    os.environ.update(settings)
    # As in an activated venv. Needed because dagster-dbt's `prepare_if_dev` (run by
    # orchestration/lib/dbt.py under `dagster dev`) calls a bare `dbt` from PATH; without it the
    # code location fails to load (see bench/README.md).
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    return env


def ensure_manifest(env: dict[str, str], timeout: float = 300) -> None:
    """Build the dbt manifest Dagster loads (as ``make manifest`` does) if it is missing."""
    if MANIFEST.exists():
        return
    print("dbt manifest missing: running `dbt parse` …", flush=True)
    subprocess.run(
        [str(VENV_BIN / "dbt"), "parse", "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
        timeout=timeout,
    )


_PORTS_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free local port; inside ``BENCH_PORTS`` (e.g. ``18200-18299``) when that is set, so a
    benchmark sharing the machine stays in its own range."""
    span = os.environ.get("BENCH_PORTS")
    if not span:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    low, high = (int(x) for x in span.split("-"))
    for port in range(low, high + 1):
        if port in _PORTS_HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _PORTS_HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port in BENCH_PORTS={span}")


# ---------------------------------------------------------------------------- process groups


class ProcessGroup:
    """A child started in its own session (so its whole tree can be signalled at once)."""

    def __init__(self, cmd: Sequence[str], env: dict[str, str], log_path: Path) -> None:
        self.cmd = list(cmd)
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pgid = self.proc.pid  # session leader: its pid is the group id
        self._stopped = False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _group_exists(self) -> bool:
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, sig)

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM the whole group, wait up to ``grace`` s, then SIGKILL what is left."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self._signal(signal.SIGTERM)
            deadline = Deadline.after(grace)
            while self._group_exists() and not deadline.expired:
                self.proc.poll()  # reap the leader so the group can empty
                time.sleep(0.1)
            if self._group_exists():
                self._signal(signal.SIGKILL)
                kill_deadline = Deadline.after(5)
                while self._group_exists() and not kill_deadline.expired:
                    self.proc.poll()
                    time.sleep(0.05)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        finally:
            self._log.close()

    def wait(self, timeout: float) -> int | None:
        """Exit code, or None if still running after ``timeout``."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def log_contains(self, text: str) -> bool:
        try:
            return text in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    def wait_healthy(self, base: str, seconds: float = 90) -> None:
        """Wait until the API this group runs answers ``GET {base}/health`` with 200; raise
        with its log tail if it exits or does not answer within ``seconds``."""
        import httpx  # only the API benches need it

        deadline = time.monotonic() + seconds
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if not self.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"API did not start: {self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def run_command(
    cmd: Sequence[str], env: dict[str, str], log_path: Path, timeout: float
) -> tuple[int | None, float]:
    """Run ``cmd`` in its own process group; (exit code or None on timeout, seconds).

    The group is always gone when this returns, also on timeout or interruption.
    """
    started = time.monotonic()
    group = ProcessGroup(cmd, env, log_path)
    try:
        code = group.wait(timeout)
    finally:
        group.stop(grace=5)
    return code, time.monotonic() - started


# ---------------------------------------------------------------------------- statistics


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and the seconds it took."""
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def peak_rss_mb() -> float:
    """This process's peak resident set so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), ``q`` in [0, 100]."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": round(min(values), 3),
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3),
        "mean": round(sum(values) / len(values), 3),
    }


# ---------------------------------------------------------------------------- results


def machine_info() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("duckdb", "dlt", "dagster", "dbt-core", "pyarrow"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def rule(title: str) -> str:
    return f"\n── {title} " + "─" * max(0, 76 - len(title))
