"""The lake's storage: layout, listing, atomic publication of files, DuckDB access, the lock.

Layout under ``EVENTS_LAKE_URL`` (a folder or ``s3://bucket/prefix``)::

    events/event_type=<type>/date=YYYY-MM-DD/hour=HH/part-<batch>-<n>.parquet   landed events
    quarantine/<batch>.parquet                                                  invalid lines
    _batches/<batch>.json        commit record of a batch (counts, input files, partitions)
    _compaction/<id>.json        journal of a compaction in flight (see compaction.py)
    _staging/<batch>/            local scratch of a batch being written (local lakes only)

A Parquet file becomes visible in one step: on a local file system it is written under
``_staging`` and renamed into place (same file system, atomic); on S3 an object appears only
when its upload completes. Readers glob ``events/*/*/*/*.parquet`` and so never see scratch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import fsspec
from fsspec.core import url_to_fs

from loaders.events.settings import EventsSettings
from tributary import duck, settings
from tributary.locking import warehouse_lock
from tributary.settings import AwsSettings

PARTITION_COLUMNS = ("event_type", "date", "hour")
HIVE_TYPES = "{'event_type': VARCHAR, 'date': DATE, 'hour': INTEGER}"


@dataclass(frozen=True, order=True)
class Partition:
    event_type: str
    date: str  # YYYY-MM-DD
    hour: str  # HH

    @property
    def rel(self) -> str:
        return f"events/event_type={self.event_type}/date={self.date}/hour={self.hour}"


@dataclass(frozen=True)
class LakeFile:
    uri: str  # what DuckDB opens: a local path or s3://…
    size: int

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]


def configure_s3(con: duckdb.DuckDBPyConnection) -> None:
    """A DuckDB S3 secret from AWS_* (httpfs), incl. a custom endpoint such as MinIO or moto."""
    con.execute("LOAD httpfs")
    aws = AwsSettings()
    values = {"KEY_ID": aws.access_key_id, "SECRET": aws.secret_access_key}
    values |= {"SESSION_TOKEN": aws.session_token, "REGION": aws.region}
    params = ["TYPE s3"]
    if endpoint := aws.endpoint_url:
        parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
        values["ENDPOINT"] = parsed.netloc
        params += ["URL_STYLE 'path'", f"USE_SSL {parsed.scheme == 'https'!s}"]
    # Parameters are not allowed in CREATE SECRET: values go in as escaped literals.
    params += [f"{k} '{v.replace(chr(39), chr(39) * 2)}'" for k, v in values.items() if v]
    con.execute(f"CREATE OR REPLACE SECRET events_lake_s3 ({', '.join(params)})")


def connect(url: str | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB able to read and write ``url`` (S3 set up when needed)."""
    con = duck.connect()
    spill = settings.data_dir() / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute(f"SET memory_limit = '{memory_limit or EventsSettings().duckdb_memory}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    if url is None or url.startswith(("s3://", "s3a://")):
        configure_s3(con)
    return con


class Lake:
    """One lake location."""

    def __init__(self, url: str | None = None) -> None:
        self.url = (url or EventsSettings().lake_url).rstrip("/")
        self.is_s3 = self.url.startswith(("s3://", "s3a://"))
        options = AwsSettings().fsspec_options() if self.is_s3 else {}
        self.fs: fsspec.AbstractFileSystem
        self.fs, self.root = url_to_fs(self.url, **options)
        self.root = self.root.rstrip("/")
        if not self.is_s3:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------------ paths
    def uri(self, rel: str) -> str:
        """A path inside the lake as DuckDB and readers see it."""
        return f"{self.url}/{rel}" if self.is_s3 else f"{self.root}/{rel}"

    def _path(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def _uri_of(self, path: str) -> str:
        return f"s3://{path}" if self.is_s3 else path

    @property
    def events_glob(self) -> str:
        return self.uri("events/*/*/*/*.parquet")

    def connect(self, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
        return connect(self.url if self.is_s3 else "local", memory_limit)

    # ------------------------------------------------------------------------ listing
    def partition_files(
        self, partitions: list[Partition] | None = None
    ) -> dict[Partition, list[LakeFile]]:
        """Parquet files per partition: of ``partitions`` (None: every partition of the lake).

        Local lakes list each partition folder; S3 lists the ``events/`` prefix once.
        """
        found: dict[Partition, list[LakeFile]] = {}
        if partitions is not None and not self.is_s3:
            for p in partitions:
                folder = Path(self._path(p.rel))
                try:
                    entries = list(os.scandir(folder))
                except FileNotFoundError:
                    continue
                files = [
                    LakeFile(e.path, e.stat().st_size)
                    for e in entries
                    if e.name.endswith(".parquet") and not e.name.startswith((".", "_"))
                ]
                if files:
                    found[p] = sorted(files, key=lambda f: f.uri)
            return found
        wanted = set(partitions) if partitions is not None else None
        try:
            listing = self.fs.find(self._path("events"), detail=True)
        except FileNotFoundError:
            return {}
        for path, info in listing.items():
            parts = path.rsplit("/", 4)
            if (
                len(parts) < 5
                or not parts[4].endswith(".parquet")
                or parts[4].startswith((".", "_"))
            ):
                continue
            try:
                p = Partition(
                    parts[1].split("=", 1)[1], parts[2].split("=", 1)[1], parts[3].split("=", 1)[1]
                )
            except IndexError:
                continue
            if wanted is not None and p not in wanted:
                continue
            found.setdefault(p, []).append(LakeFile(self._uri_of(path), int(info.get("size") or 0)))
        for files in found.values():
            files.sort(key=lambda f: f.uri)
        return found

    def list_rel(self, rel: str, suffix: str = "") -> list[str]:
        """Names of the files directly under ``rel``."""
        try:
            names = [p.rsplit("/", 1)[-1] for p in self.fs.ls(self._path(rel), detail=False)]
        except FileNotFoundError:
            return []
        return sorted(n for n in names if n.endswith(suffix) and not n.startswith("."))

    def exists(self, rel: str) -> bool:
        return self.fs.exists(self._path(rel))

    # ------------------------------------------------------------------------ writing
    def new_scratch(self, name: str) -> Path:
        """A local folder to write a batch's files into before they are published. For a local
        lake it sits inside the lake (same file system: publication is a rename)."""
        if self.is_s3:
            return Path(tempfile.mkdtemp(prefix=f"events-{name}-", dir=settings.data_dir() / "tmp"))
        folder = Path(self._path(f"_staging/{name}"))
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    @staticmethod
    def drop_scratch(folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def scratch(self, name: str) -> Iterator[Path]:
        """:meth:`new_scratch`, removed on exit."""
        folder = self.new_scratch(name)
        try:
            yield folder
        finally:
            self.drop_scratch(folder)

    def publish(self, local: Path, rel: str) -> str:
        """Make a finished local file visible at ``rel`` in one step; returns its URI."""
        if self.is_s3:
            self.fs.put_file(str(local), self._path(rel))
        else:
            target = Path(self._path(rel))
            target.parent.mkdir(parents=True, exist_ok=True)
            _fsync(local)
            os.replace(local, target)
        return self.uri(rel)

    def upload(self, pairs: list[tuple[Path, str]]) -> None:
        """Upload finished local files to S3 keys (concurrently; each object appears whole)."""
        if pairs:
            self.fs.put([str(p) for p, _ in pairs], [self._path(rel) for _, rel in pairs])

    def write_json(self, rel: str, payload: dict) -> None:
        """Write a small JSON document atomically (temp file + rename, or one PUT)."""
        data = json.dumps(payload, indent=1, sort_keys=True).encode()
        if self.is_s3:
            self.fs.pipe_file(self._path(rel), data)
            return
        target = Path(self._path(rel))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def read_json(self, rel: str) -> dict:
        with self.fs.open(self._path(rel), "rb") as fh:
            return json.loads(fh.read())

    def read_many_json(self, rels: list[str]) -> list[dict]:
        if not rels:
            return []
        paths = [self._path(r) for r in rels]
        contents = self.fs.cat(paths)
        if isinstance(contents, bytes):
            contents = {paths[0]: contents}
        return [json.loads(contents[p]) for p in paths]

    def delete_uris(self, uris: list[str]) -> None:
        for uri in uris:
            path = uri.removeprefix("s3://") if self.is_s3 else uri
            with suppress(FileNotFoundError):
                self.fs.rm_file(path)

    def delete(self, rel: str) -> None:
        self.delete_uris([self.uri(rel)])


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def lake_lock(timeout: float | None = 600.0) -> Iterator[None]:
    """One lake writer at a time on this machine (file lock in the data dir)."""
    with warehouse_lock(timeout=timeout, path=settings.data_dir() / "locks" / "events-lake.lock"):
        yield
