"""Resident memory of a benchmark's child processes, per process and over time.

A service started by a benchmark (``ProcessGroup``) is a tree: uvicorn's supervisor and its
workers, ``dagster dev`` with its webserver, daemon, code server and the run workers it spawns.
Summing a group mixes long-lived services (whose memory should stay flat) with short-lived run
workers (alive or not at the moment of the sample), so ``RssSampler`` samples every process on
its own, names it by role from its command line, and keeps run workers apart.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ProcessGroup

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 1e6

# (substring of the command line, role); first match wins. Run workers are short-lived.
ROLES = [
    ("execute_run", "run worker"),
    ("execute_step", "run worker"),
    ("dagster-webserver", "webserver"),
    ("dagster_webserver", "webserver"),
    ("dagster-daemon", "daemon"),
    ("dagster_daemon", "daemon"),
    ("dagster._daemon", "daemon"),
    (" api grpc", "code server"),
    ("code-server", "code server proxy"),
    ("multiprocessing.spawn", "worker"),
    ("multiprocessing.resource_tracker", "resource tracker"),
    ("dagster dev", "dev parent"),
    ("uvicorn", "supervisor"),
]
SHORT_LIVED = {"run worker"}


@dataclass(frozen=True)
class Proc:
    pid: int
    group: str
    role: str
    rss_mb: float


def role_of(cmdline: str) -> str:
    for needle, role in ROLES:
        if needle in cmdline:
            return role
    return "main"


def processes(groups: dict[str, ProcessGroup]) -> list[Proc]:
    """Every live process of ``groups`` (by process group id) with its role and RSS. A
    multiprocessing child of a Dagster code server is a run worker (the code server launches
    each run that way)."""
    by_pgid = {g.pgid: name for name, g in groups.items()}
    found: dict[int, tuple[int, str, str, float]] = {}  # pid: (parent, group, cmdline, rss)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            group = by_pgid.get(int(fields[2]))  # field 5 of stat: the process group id
            if group is None:
                continue
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            rss = int(fields[21]) * PAGE_MB  # field 24: resident pages
        except (OSError, IndexError, ValueError):
            continue
        found[int(stat.parent.name)] = (int(fields[1]), group, cmdline, rss)
    procs = []
    for pid, (parent, group, cmdline, rss) in found.items():
        role = role_of(cmdline)
        if role == "worker" and role_of(found.get(parent, (0, "", "", 0.0))[2]) == "code server":
            role = "run worker"
        procs.append(Proc(pid, group, role, rss))
    return procs


@dataclass
class RssSampler:
    """Samples every ``every`` seconds in a thread: (elapsed s, [Proc]) per sample."""

    groups: dict[str, ProcessGroup]
    every: float = 10.0
    samples: list[tuple[float, list[Proc]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._started = time.monotonic()

    def start(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def sample(self) -> None:
        self.samples.append((time.monotonic() - self._started, processes(self.groups)))

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def report(self) -> dict:
        """Long-lived processes (alive in the first and last sample): RSS at start, middle and
        end, and the growth over each half (flat: the second half grows less than 5 % of the
        start, and not more than the first). Run workers: how many were seen, their peak."""
        first, last = self.samples[0][1], self.samples[-1][1]
        middle = self.samples[len(self.samples) // 2][1]
        alive_at_end = {p.pid for p in last}
        services = []
        for p in first:
            if p.role in SHORT_LIVED:
                continue
            mid = next((q.rss_mb for q in middle if q.pid == p.pid), None)
            end = next((q.rss_mb for q in last if q.pid == p.pid), None)
            entry = {"group": p.group, "role": p.role, "pid": p.pid, "start_mb": round(p.rss_mb, 1)}
            if p.pid not in alive_at_end or mid is None or end is None:
                services.append({**entry, "exited": True})
                continue
            first_half, second_half = mid - p.rss_mb, end - mid
            flat = second_half <= max(0.05 * p.rss_mb, first_half)
            services.append(
                {
                    **entry,
                    "middle_mb": round(mid, 1),
                    "end_mb": round(end, 1),
                    "growth_first_half_mb": round(first_half, 1),
                    "growth_second_half_mb": round(second_half, 1),
                    "flat": flat,
                }
            )
        workers: dict[int, float] = {}
        for _, procs in self.samples:
            for p in procs:
                if p.role in SHORT_LIVED:
                    workers[p.pid] = max(workers.get(p.pid, 0.0), p.rss_mb)
        return {
            "every_s": self.every,
            "samples": len(self.samples),
            "services": sorted(services, key=lambda s: (s["group"], s["role"], s["pid"])),
            "run_workers": {
                "seen": len(workers),
                "peak_mb": round(max(workers.values(), default=0.0), 1),
                "alive_at_end": sum(1 for p in last if p.role in SHORT_LIVED),
            },
            "series": [
                {
                    "t": round(t, 1),
                    "rss_mb": {f"{p.group}/{p.role}/{p.pid}": round(p.rss_mb, 1) for p in procs},
                }
                for t, procs in self.samples
            ],
        }


def print_rss(report: dict) -> None:
    print(
        f"{'process':<30} {'start MB':>9} {'middle':>8} {'end':>8} {'1st half':>9} {'2nd half':>9}"
    )
    for s in report["services"]:
        name = f"{s['group']} {s['role']} ({s['pid']})"
        if s.get("exited"):
            print(f"{name:<30} {s['start_mb']:>9.1f}  exited")
            continue
        verdict = "flat" if s["flat"] else "GROWING"
        print(
            f"{name:<30} {s['start_mb']:>9.1f} {s['middle_mb']:>8.1f} {s['end_mb']:>8.1f}"
            f" {s['growth_first_half_mb']:>+9.1f} {s['growth_second_half_mb']:>+9.1f}  {verdict}"
        )
    w = report["run_workers"]
    print(
        f"run workers: {w['seen']} seen, peak {w['peak_mb']} MB each, {w['alive_at_end']} alive at the end"
    )
