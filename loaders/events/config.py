"""Where the events domain reads and writes, from documented environment variables.

- ``EVENTS_URL``: input JSON-lines files (fsspec URL; default ``$TRIBUTARY_DATA_DIR/landing/events``);
- ``EVENTS_LAKE_URL``: the Parquet lake (folder or ``s3://bucket/prefix``; default
  ``$TRIBUTARY_DATA_DIR/lake/events``); S3 credentials and endpoint from the standard ``AWS_*``
  variables (``AWS_ENDPOINT_URL`` for an S3-compatible store);
- ``EVENTS_NATS_URL``: NATS server with JetStream (unset: the stream consumer is off);
- ``EVENTS_NATS_STREAM`` / ``EVENTS_NATS_SUBJECT`` / ``EVENTS_NATS_DURABLE``: stream, subject
  and durable consumer names (defaults ``EVENTS``, ``events.raw``, ``tributary-lake``).
"""

from __future__ import annotations

import os

from tributary import settings

# created_at must fall in [2000-01-01, 2100-01-01) UTC (epoch millis): a fixed window keeps
# validation deterministic (a stream and a file replay of the same events give one answer).
CREATED_AT_MIN_MS = 946_684_800_000
CREATED_AT_MAX_MS = 4_102_444_800_000
# A safe partition name: ASCII letters, digits, '_' and '-', starting with a letter or digit.
TYPE_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,99}"
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# Input files are read in batches of about this many bytes: memory stays bounded by the batch,
# not by the backlog.
BATCH_BYTES = int(os.environ.get("EVENTS_BATCH_BYTES", str(256 * 1024 * 1024)))
# Compaction: a partition with more than this many files is rewritten into files of about
# TARGET_FILE_BYTES (one file unless the partition is larger).
COMPACT_MIN_FILES = int(os.environ.get("EVENTS_COMPACT_MIN_FILES", "8"))
TARGET_FILE_BYTES = int(os.environ.get("EVENTS_TARGET_FILE_BYTES", str(128 * 1024 * 1024)))


def events_url() -> str:
    return settings.env_url("EVENTS_URL", settings.landing_dir("events"))


def lake_url() -> str:
    return settings.env_url("EVENTS_LAKE_URL", settings.data_dir() / "lake" / "events")


def nats_url() -> str | None:
    return os.environ.get("EVENTS_NATS_URL", "").strip() or None


def nats_stream() -> str:
    return os.environ.get("EVENTS_NATS_STREAM", "EVENTS")


def nats_subject() -> str:
    return os.environ.get("EVENTS_NATS_SUBJECT", "events.raw")


def nats_durable() -> str:
    return os.environ.get("EVENTS_NATS_DURABLE", "tributary-lake")
