"""Serving snapshots republished many times while requests read them: an API process keeps
open only the current version and the ones an unfinished request still reads, so memory and
file handles stay bounded however often the pipeline publishes (the soak's first suspect for
the API's memory growth; issue 13)."""

from __future__ import annotations

import asyncio
import os

from api.deps import snapshot
from tributary import duck, serving


def open_snapshots(domain: str) -> set[str]:
    """Names of this process's open files under ``serving/<domain>`` (deleted ones too)."""
    folder = str(serving.domain_dir(domain))
    names = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(folder + "/"):
            names.add(target.removeprefix(folder + "/").removesuffix(" (deleted)"))
    return names


def test_republishing_keeps_only_the_versions_in_use_open(data_dir):
    request_cursor = snapshot("toy")  # the API's dependency: one cursor per request

    async def requests_across_publishes(publishes: int) -> None:
        in_flight = None
        with duck.connect() as warehouse:
            for k in range(publishes):
                table = serving.ServedTable("toy", "t", f"SELECT {k} AS version")
                serving.publish("toy", [table], warehouse)
                request = request_cursor()
                cur = await request.__anext__()
                assert cur.execute("SELECT version FROM toy.t").fetchone() == (k,)
                # the previous request still reads its version while this one started
                assert len(open_snapshots("toy")) <= 2
                if in_flight is not None:
                    await in_flight.aclose()  # its cursor closes: its version is let go
                in_flight = request
                assert open_snapshots("toy") == {serving.current_version("toy").name}
            await in_flight.aclose()

    asyncio.run(requests_across_publishes(40))
    assert open_snapshots("toy") == {serving.current_version("toy").name}  # the reader's own
