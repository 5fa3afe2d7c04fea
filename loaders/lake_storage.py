"""A lake location on local disk or S3, shared by the domains that land Parquet in one.

What a writer needs whatever the domain: paths and the URIs DuckDB opens, listing, local
scratch folders, and publication in one step (a rename on the same file system, or one S3
PUT: an object appears only when its upload completes), small JSON documents written
atomically, deletion, and per-batch tables (``<table>/part-<batch>.parquet``: a batch's
quarantine and its load record, published last as its commit, read back as DuckDB relations
for the reconciliation). The domains' layouts (``loaders/events/lake.py``,
``loaders/commerce/lake.py``, ``loaders/players/lake.py``) are built on it. On a local
file system a Parquet file is written in the lake (under ``_staging`` or as ``*.parquet.tmp``,
invisible to ``*.parquet`` globs) and renamed into place (same file system, atomic).
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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec.core import url_to_fs

from tributary import settings
from tributary.duck import sql_list
from tributary.serving import fsync_path
from tributary.settings import AwsSettings


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
    con.execute(f"CREATE OR REPLACE SECRET lake_s3 ({', '.join(params)})")


def value_runs(column: pa.Array | pa.ChunkedArray) -> list[tuple[str, int]]:
    """The runs of equal values of a sorted column, in order: (value, row count) each, the
    ``runs`` a :meth:`LakeStorage.write_slices` caller names one file per."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.run_end_encode(column)
    runs: list[tuple[str, int]] = []
    offset = 0
    for value, end in zip(encoded.values.to_pylist(), encoded.run_ends.to_pylist(), strict=True):
        runs.append((value, end - offset))
        offset = end
    return runs


def naive_utc(table: pa.Table, column: str) -> pa.Table:
    """``column`` (a UTC timestamp) as UTC wall clock without zone: both engines read it as a
    plain timestamp (Spark as ``timestamp_ntz``)."""
    at = table.schema.get_field_index(column)
    return table.set_column(at, column, pc.cast(table[column], pa.timestamp("us")))


def journal_rel(batch_id: str) -> str:
    """Where a batch's journal lives: written before its files, it lists them (the commit
    record last)."""
    return f"_batches/{batch_id}.json"


@dataclass(frozen=True)
class LakeFile:
    uri: str  # what DuckDB opens: a local path or s3://…
    size: int

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]


class LakeStorage:
    """One lake location (a folder or ``s3://bucket/prefix``)."""

    scratch_prefix = "lake"  # of the local scratch folders of an S3 lake
    # table → path pattern of its per-batch files (``{batch}``), e.g. ``loads/part-{batch}.parquet``
    batch_tables: dict[str, str] = {}
    # folders a local lake creates up front (Spark's external tables expect them to exist)
    table_folders: tuple[str, ...] = ()

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.is_s3 = self.url.startswith(("s3://", "s3a://"))
        options = AwsSettings().fsspec_options() if self.is_s3 else {}
        self.fs: fsspec.AbstractFileSystem
        self.fs, self.root = url_to_fs(self.url, **options)
        self.root = self.root.rstrip("/")
        if not self.is_s3:
            Path(self.root).mkdir(parents=True, exist_ok=True)
            for folder in self.table_folders:
                (Path(self.root) / folder).mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------------ paths
    def uri(self, rel: str) -> str:
        """A path inside the lake as DuckDB and readers see it."""
        return f"{self.url}/{rel}" if self.is_s3 else f"{self.root}/{rel}"

    def _path(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def _uri_of(self, path: str) -> str:
        return f"s3://{path}" if self.is_s3 else path

    # ------------------------------------------------------------------------ listing
    def list_rel(self, rel: str, suffix: str = "") -> list[str]:
        """Names of the files directly under ``rel``."""
        try:
            names = [p.rsplit("/", 1)[-1] for p in self.fs.ls(self._path(rel), detail=False)]
        except FileNotFoundError:
            return []
        return sorted(n for n in names if n.endswith(suffix) and not n.startswith("."))

    def sizes(self, pattern: str) -> dict[str, int]:
        """Lake path → size in bytes of the files matching the glob ``pattern``."""
        found = self.fs.glob(self._path(pattern), detail=True)
        return {path[len(self.root) + 1 :]: int(info["size"]) for path, info in found.items()}

    def exists(self, rel: str) -> bool:
        return self.fs.exists(self._path(rel))

    # ------------------------------------------------------------------------ writing
    def new_scratch(self, name: str) -> Path:
        """A local folder to write a batch's files into before they are published. For a local
        lake it sits inside the lake (same file system: publication is a rename)."""
        if self.is_s3:
            tmp = settings.data_dir() / "tmp"
            tmp.mkdir(parents=True, exist_ok=True)
            return Path(tempfile.mkdtemp(prefix=f"{self.scratch_prefix}-{name}-", dir=tmp))
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
            fsync_path(local)
            os.replace(local, target)
        return self.uri(rel)

    def upload(self, pairs: list[tuple[Path, str]]) -> None:
        """Upload finished local files to S3 keys (concurrently; each object appears whole)."""
        if pairs:
            self.fs.put([str(p) for p, _ in pairs], [self._path(rel) for _, rel in pairs])

    def publish_tables(self, scratch: Path, pending: list[tuple[str, pa.Table]]) -> None:
        """Write each (lake path, table) as Parquet in ``scratch`` and publish it, in order: a
        batch's commit record goes last."""
        for n, (rel, table) in enumerate(pending):
            local = scratch / f"{n}.parquet"
            pq.write_table(table, local)
            self.publish(local, rel)

    def files(self, table: str, batch_ids: list[str] | None = None) -> list[str]:
        """URIs of the per-batch Parquet files of ``table`` (``batch_tables``; of ``batch_ids``
        only, when given)."""
        pattern = self.batch_tables[table]
        found = self.fs.glob(self._path(pattern.format(batch="*")))
        if batch_ids is not None:
            wanted = {pattern.format(batch=b).rsplit("/", 1)[-1] for b in batch_ids}
            found = [p for p in found if p.rsplit("/", 1)[-1] in wanted]
        return sorted(self._uri_of(p) for p in found)

    def relation(self, con, table: str, columns: str, batch_ids: list[str] | None = None) -> str:
        """SQL for ``columns`` (``name TYPE, …``) of ``table``'s files in DuckDB ``con`` (S3 set
        up there when needed); an empty typed relation when there is no file."""
        files = self.files(table, batch_ids)
        names = ", ".join(c.split()[0] for c in columns.split(","))
        if not files:
            nulls = ", ".join(f"NULL::{c.split()[1]} AS {c.split()[0]}" for c in columns.split(","))
            return f"(SELECT {nulls} WHERE false)"
        if self.is_s3:
            configure_s3(con)
        return f"(SELECT {names} FROM read_parquet({sql_list(files)}))"

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

    # ------------------------------------------------------------------------ batch journals
    def journaled_batches(self) -> list[str]:
        return [name.removesuffix(".json") for name in self.list_rel("_batches", ".json")]

    def batch_files(self, batch_ids: list[str]) -> dict[str, list[str]]:
        """Lake paths of the files of each batch, from their journals (missing: none)."""
        known = set(self.journaled_batches())
        wanted = [b for b in batch_ids if b in known]
        records = self.read_many_json([journal_rel(b) for b in wanted])
        return {r["batch_id"]: r["files"] for r in records}

    def drop_batches(self, batch_ids: list[str]) -> int:
        """Delete the files and journals of ``batch_ids`` (uncommitted batches): the files in
        reverse journal order (the commit record first: readers stop counting the batch), the
        scratch folder it wrote in, then the journal, so a crash here leaves a journal the next
        load uses to finish the job."""
        files = self.batch_files(batch_ids)
        for batch_id in batch_ids:
            rels = files.get(batch_id, [])[::-1]
            # a local write that died leaves ``*.parquet.tmp`` beside the (missing) file
            tmp = [] if self.is_s3 else [self.uri(rel + ".tmp") for rel in rels]
            self.delete_uris([self.uri(rel) for rel in rels] + tmp)
            if not self.is_s3:
                self.drop_scratch(Path(self._path(f"_staging/{batch_id}")))
            self.delete(journal_rel(batch_id))
        return len(batch_ids)

    def write_slices(
        self,
        table: pa.Table,
        runs: list[tuple[str, int]],
        scratch: Path,
        existing_folders: set[str] | frozenset[str] = frozenset(),
        statistics: list[str] | bool = True,
    ) -> list[str]:
        """Write consecutive slices of ``table`` (``runs``: the lake path of each file and its
        row count, in table order) as Parquet files and publish them; returns their paths.

        A loop per file, not per row (each slice is zero-copy). On a local lake files are
        written in place as ``*.parquet.tmp``, flushed with one ``sync``, then renamed; on S3
        they are written to ``scratch`` and uploaded. Local folders are created except those of
        ``existing_folders`` (lake paths known to exist: saves a ``makedirs`` per file).
        """
        written: list[tuple[Path, str]] = []
        suffix = "" if self.is_s3 else ".tmp"
        offset = 0
        for rel, n in runs:
            local = (scratch / rel) if self.is_s3 else Path(self._path(rel))
            local = local.with_name(local.name + suffix)
            if self.is_s3 or rel.rsplit("/", 1)[0] not in existing_folders:
                os.makedirs(local.parent, exist_ok=True)
            pq.write_table(
                table.slice(offset, n), local, compression="zstd", write_statistics=statistics
            )
            written.append((local, rel))
            offset += n
        if self.is_s3:
            self.upload(written)
        else:
            os.sync()
            for local, _ in written:
                os.replace(local, local.with_name(local.name.removesuffix(".tmp")))
        return [rel for _, rel in written]
