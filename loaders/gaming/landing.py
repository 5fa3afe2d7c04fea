"""The landing location: list event files with a fingerprint, fetch their bytes.

Any fsspec URL works: a local folder, ``s3://bucket/prefix`` (credentials and endpoint from
the standard ``AWS_*`` variables, incl. ``AWS_ENDPOINT_URL``), ``memory://`` in tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import fsspec
from fsspec.core import url_to_fs

from tributary import settings

EVENT_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson")


def events_url() -> str:
    return settings.env_url("GAMING_EVENTS_URL", settings.landing_dir("gaming"))


@dataclass(frozen=True)
class LandedFile:
    """A file as listed: ``path`` is the key we store (URL form), ``fingerprint`` changes when
    the content is rewritten (ETag on object stores, size + mtime on file systems)."""

    path: str
    fingerprint: str
    size: int


def _filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    options = {}
    if url.startswith(("s3://", "s3a://")):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["client_kwargs"] = {"endpoint_url": endpoint}
        # Never reuse a cached client across endpoints or credentials (tests switch them).
        options["skip_instance_cache"] = True
    return url_to_fs(url, **options)


def _fingerprint(info: dict) -> str:
    etag = info.get("ETag") or info.get("etag")
    size = int(info.get("size") or 0)
    if etag:
        return f"etag:{str(etag).strip(chr(34))}:{size}"
    mtime = info.get("mtime") or info.get("LastModified") or info.get("created") or ""
    if hasattr(mtime, "timestamp"):
        mtime = mtime.timestamp()
    return f"stat:{size}:{mtime}"


class Landing:
    """A landing location opened once; list and read files from it."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or events_url()
        self.fs, self.root = _filesystem(self.url)
        self.protocol = (
            self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        )

    def _key(self, path: str) -> str:
        return path if self.protocol == "file" else f"{self.protocol}://{path}"

    def list(self) -> list[LandedFile]:
        """Event files in name order. A missing or empty location is simply empty."""
        try:
            found = self.fs.find(self.root, detail=True)
        except FileNotFoundError:
            return []
        files = []
        for path, info in found.items():
            name = path.rsplit("/", 1)[-1]
            if info.get("type") == "directory" or name.startswith((".", "_")):
                continue
            if not name.endswith(EVENT_FILE_SUFFIXES):
                continue
            files.append(
                LandedFile(self._key(path), _fingerprint(info), int(info.get("size") or 0))
            )
        files.sort(key=lambda f: f.path)
        return files

    def read(self, files: list[LandedFile]) -> dict[str, bytes]:
        """Bytes of each file (fetched concurrently on object stores)."""
        if not files:
            return {}
        paths = [self.fs._strip_protocol(f.path) for f in files]
        contents = self.fs.cat(paths, on_error="raise")
        if isinstance(contents, bytes):  # a single path comes back bare
            contents = {paths[0]: contents}
        return {f.path: contents[p] for f, p in zip(files, paths, strict=True)}
