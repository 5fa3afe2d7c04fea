"""Progress of a long load on a terminal: files done, rows and rows/s, on one line of stderr.

Silent unless stderr is a TTY, so logs, pipes, Dagster and tests see nothing. One
:class:`Progress` per phase; ``advance`` after each batch, ``close`` at the end (or use it as
a context manager).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self,
        label: str,
        total_files: int | None = None,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        unit: str = "files",
    ) -> None:
        self.label = label
        self.total_files = total_files
        self.unit = unit  # what ``files`` counts: files, pages, batches
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.files = 0
        self.rows = 0
        self.started = time.perf_counter()
        self._shown = False

    def advance(self, files: int = 0, rows: int = 0) -> None:
        self.files += files
        self.rows += rows
        if self.enabled:
            self.stream.write(f"\r\x1b[K{self.line()}")
            self.stream.flush()
            self._shown = True

    def line(self) -> str:
        seconds = max(time.perf_counter() - self.started, 1e-9)
        total = f"/{self.total_files}" if self.total_files is not None else ""
        return (
            f"{self.label}: {self.files}{total} {self.unit}, {self.rows:,} rows, "
            f"{self.rows / seconds:,.0f} rows/s, {seconds:.1f} s"
        )

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
