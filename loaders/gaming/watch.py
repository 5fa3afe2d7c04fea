"""Noticing new files within a fraction of a second without listing everything each time.

A watcher's :meth:`~Watcher.changes` is called every ``GAMING_FOLLOW_POLL_SECONDS`` (0.1 s) and
returns candidate files (new, or possibly rewritten); the real-time store then reads only the
candidates its manifest does not hold at that fingerprint. Each poll costs about the same
whatever the number of files landed:

- local folder: one ``stat`` of each directory; only when a directory's mtime moved (a file
  was created or renamed into it), its names are read and the new names ``stat``-ed;
- S3: one ``ListObjectsV2`` with ``StartAfter`` = the greatest key seen, which returns only
  keys after it (the files are named in arrival order: ``0000.json``, ``0001.json`` …);
- S3 event notifications on NATS (:mod:`loaders.gaming.notifications`) when configured.

An in-place rewrite does not move a directory's mtime and an S3 object rewritten or named out
of order sorts before ``StartAfter``: every ``GAMING_FOLLOW_RESCAN_SECONDS`` the watcher
returns the full listing instead (``full=True``), which catches both.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from loaders.incremental_files import EVENT_FILE_SUFFIXES, LandedFile, Landing, fingerprint

# A directory changed this recently is re-read on every poll: two renames inside one mtime
# tick would otherwise look like one.
SETTLE_SECONDS = 2.0


def _event_file(name: str) -> bool:
    return not name.startswith((".", "_")) and name.endswith(EVENT_FILE_SUFFIXES)


class Watcher(Protocol):
    def changes(self, full: bool = False) -> list[LandedFile]: ...


class FullListing:
    """Any fsspec location: the whole listing each time (the fallback for other protocols)."""

    def __init__(self, landing: Landing) -> None:
        self.landing = landing

    def changes(self, full: bool = False) -> list[LandedFile]:
        return self.landing.list()


class LocalWatcher:
    """A local folder (and its sub-folders), by directory mtimes."""

    def __init__(self, landing: Landing) -> None:
        self.landing = landing
        self.root = landing.root
        self.dirs: dict[str, int] = {}  # directory → mtime_ns when its names were last read
        self.known: set[str] = set()

    def _scan(self, folder: str, out: list[LandedFile], stat_all: bool) -> None:
        try:
            mtime = os.stat(folder).st_mtime_ns
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            self.dirs.pop(folder, None)
            return
        self.dirs[folder] = mtime
        for entry in entries:
            if entry.is_dir(follow_symlinks=True):
                if entry.path not in self.dirs:
                    self._scan(entry.path, out, stat_all)
                continue
            if not _event_file(entry.name) or (entry.path in self.known and not stat_all):
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            info = {"size": st.st_size, "mtime": st.st_mtime}
            out.append(LandedFile(entry.path, fingerprint(info), st.st_size))
            self.known.add(entry.path)

    def changes(self, full: bool = False) -> list[LandedFile]:
        if full or not self.dirs:
            listed = self.landing.list()
            self.prime(listed)
            return listed
        out: list[LandedFile] = []
        now = time.time_ns()
        for folder, seen in list(self.dirs.items()):
            try:
                mtime = os.stat(folder).st_mtime_ns
            except FileNotFoundError:
                self.dirs.pop(folder, None)
                continue
            if mtime != seen or now - mtime < SETTLE_SECONDS * 1e9:
                self._scan(folder, out, stat_all=False)
        if not os.path.isdir(self.root):
            return out
        if self.root not in self.dirs:
            self._scan(self.root, out, stat_all=False)
        return out

    def prime(self, listed: list[LandedFile]) -> None:
        """Remember a full listing, so only later names count as new."""
        self.known.update(f.path for f in listed)
        if os.path.isdir(self.root):
            self._scan(self.root, [], stat_all=False)


class S3Watcher:
    """An S3 prefix, by ``ListObjectsV2`` after the greatest key seen."""

    def __init__(self, landing: Landing) -> None:
        self.landing = landing
        bucket, _, prefix = landing.root.partition("/")
        self.bucket = bucket
        self.prefix = prefix.rstrip("/") + "/" if prefix else ""
        self.start_after = ""

    def changes(self, full: bool = False) -> list[LandedFile]:
        if full:
            listed = self.landing.list()
            self.prime(listed)
            return listed
        out: list[LandedFile] = []
        token = None
        while True:
            request = {"Bucket": self.bucket, "Prefix": self.prefix}
            if token:
                request["ContinuationToken"] = token
            elif self.start_after:
                request["StartAfter"] = self.start_after
            page = self.landing.fs.call_s3("list_objects_v2", **request)
            for obj in page.get("Contents", []):
                key = obj["Key"]
                # Only event files move the mark: a marker such as _SUCCESS sorts after the
                # digits and would hide the next files.
                if _event_file(key.rsplit("/", 1)[-1]):
                    self.start_after = max(self.start_after, key)
                    info = {"ETag": obj.get("ETag"), "size": obj.get("Size")}
                    path = f"s3://{self.bucket}/{key}"
                    out.append(LandedFile(path, fingerprint(info), int(obj.get("Size") or 0)))
            if not page.get("IsTruncated"):
                return out
            token = page.get("NextContinuationToken")

    def prime(self, listed: list[LandedFile]) -> None:
        prefix = f"s3://{self.bucket}/"
        keys = [f.path.removeprefix(prefix) for f in listed]
        self.start_after = max([self.start_after, *keys])


def watcher_for(landing: Landing) -> LocalWatcher | S3Watcher | FullListing:
    if landing.protocol == "file":
        return LocalWatcher(landing)
    if landing.protocol in ("s3", "s3a"):
        return S3Watcher(landing)
    return FullListing(landing)
