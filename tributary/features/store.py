"""The online feature store: what both backends share (the write plan, the sweep, the read).

Model (per product ``p``; ``b[p][m]`` = the minute bucket of counts per metric):

- **buckets** ``b[p][m]`` for every minute ``m`` with an event, kept for ``RETENTION`` minutes;
- **sweep minute** ``S`` (one per store): the minute the running totals are computed at;
- **totals** ``T_W[p] = Σ b[p][m]`` over ``S - W < m <= S``, per window ``W`` and metric;
- **ahead** events: stamped at or after the consumer's clock when applied (a producer clock
  running ahead), held with their exact time until the clock passes it, then moved into a
  bucket by the sweep; readers count them by the window rule meanwhile.

A reader at minute ``M`` computes ``Σ b over M - W < m <= M`` as ``T_W + Σ(S, M] - Σ(S-W, M-W]``
(or ``T_W - Σ(M, S] + Σ(M-W, S-W]`` when ``M < S``): with the consumer sweeping every minute
that is the totals plus at most a few bucket reads, whatever the window. The sweep moves ``S``
to the clock's minute with the same identity, expires buckets and seen ids older than
``RETENTION``, and migrates ahead events that are no longer ahead. The read takes ``as_of`` from
the clock *after* reading, retrying if the minute changed meanwhile: every bucketed event was
stamped before its apply, hence before ``as_of`` (right-open at ``as_of`` exactly).

Exactly once: :meth:`FeatureStore.apply` writes a batch of stream messages and their stream
sequences (the consumer's applied set) in one transaction (SQLite) or one ``MULTI/EXEC``
(Redis); a message whose sequence is in the set is a redelivery and is skipped, so
acknowledging after ``apply`` returns means a crash anywhere loses and doubles nothing. A set,
not a high-water mark: after a restart JetStream may deliver new messages before it redelivers
the unacknowledged ones, so a mark would skip those. The set is pruned below JetStream's ack
floor (every message at or below it is acknowledged, hence applied, and never comes again):
:meth:`FeatureStore.prune`. A store belongs to one
consumer (its durable name): a second one would count every event twice, and is refused.
Several processes of that consumer may write at once (the dedicated process and the Dagster
sensor's tick): SQLite serialises their transactions, Redis's are optimistic (every write
transaction ``WATCH``es and changes the ``meta`` hash) and retried on conflict.
Event ids are de-duplicated per minute (``data.id`` repeated with the same ``created_at``
minute, i.e. a redelivered event) for as long as the minute is kept.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from tributary.features.windows import (
    METRICS,
    MINUTE,
    RETENTION,
    WINDOWS,
    Counts,
    FeatureEvent,
    parse_event,
    zeros,
)

WINDOW_MINUTES = list(WINDOWS.values())
ALL_WINDOWS = tuple(range(len(WINDOWS)))


T = TypeVar("T")


class Conflict(Exception):
    """Another writer committed between this transaction's reads and its commit (Redis's
    optimistic ``WATCH``): the transaction is retried from its reads."""


class StoreOwned(RuntimeError):
    """The store is maintained by another consumer (durable name)."""


@dataclass
class ApplyResult:
    messages: int = 0
    redelivered: int = 0  # sequence already applied: skipped
    ignored: int = 0  # not an event of a feature (other types, malformed)
    duplicates: int = 0  # an id already counted for that minute
    expired: int = 0  # older than the retention: in no window
    ahead: int = 0  # stamped after the consumer's clock: held until the clock passes it
    counted: int = 0
    last_sequence: int = 0

    def add(self, other: ApplyResult) -> None:
        for name in self.__dataclass_fields__:
            if name == "last_sequence":
                self.last_sequence = max(self.last_sequence, other.last_sequence)
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Plan:
    """What one write transaction adds (deltas) besides the sequence."""

    buckets: dict[tuple[str, int], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0])
    )
    totals: dict[str, Counts] = field(default_factory=lambda: defaultdict(zeros))
    seen: list[tuple[int, str]] = field(default_factory=list)  # (minute, id)
    ahead: list[FeatureEvent] = field(default_factory=list)

    def count(self, ev: FeatureEvent, sweep: int) -> None:
        """Add ``ev`` to its bucket, and to each window's total if the window at ``sweep`` holds it."""
        m = ev.minute
        self.buckets[(ev.product_id, m)][ev.metric] += 1
        for w, length in enumerate(WINDOW_MINUTES):
            if sweep - length < m <= sweep:
                self.totals[ev.product_id][ev.metric][w] += 1

    def add_range(self, sums: dict[str, list[int]], sign: int, windows: Sequence[int]) -> None:
        for product, per_metric in sums.items():
            total = self.totals[product]
            for k, n in enumerate(per_metric):
                for w in windows:
                    total[k][w] += sign * n


@dataclass
class Snapshot:
    """A consistent read: the sweep minute, the products' totals, the corrections' bucket sums
    (aligned with :func:`corrections`), the products' ahead events."""

    sweep: int | None
    totals: dict[str, Counts]
    ranges: list[dict[str, list[int]]]
    ahead: dict[str, list[tuple[int, int]]]  # product → [(created_at, metric)]


def corrections(sweep: int, minute: int) -> list[tuple[int, int, int, tuple[int, ...]]]:
    """``(lo, hi, sign, windows)``: the window sums at ``minute`` are the totals at ``sweep``
    plus ``sign * Σ b[m], lo < m <= hi`` for each entry, in the listed windows."""
    out: list[tuple[int, int, int, tuple[int, ...]]] = []
    if minute == sweep:
        return out
    lo, hi, sign = (sweep, minute, 1) if minute > sweep else (minute, sweep, -1)
    out.append((lo, hi, sign, ALL_WINDOWS))
    for w, length in enumerate(WINDOW_MINUTES):
        out.append((lo - length, hi - length, -sign, (w,)))
    return out


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class FeatureStore(ABC):
    """One connection to the online store; use it from one thread at a time."""

    backend: str

    # -- the backends' primitives -------------------------------------------------------------
    @abstractmethod
    def _begin(self) -> None:
        """Start the write transaction (reads below see its state; writes are applied at
        :meth:`_commit`, atomically)."""

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def _claim(self, consumer: str) -> tuple[int, int]:
        """Check that ``consumer`` owns the store (or none does); its (floor, last sequence)."""

    @abstractmethod
    def _applied(self, consumer: str, sequences: Sequence[int]) -> set[int]:
        """Which of ``sequences`` (all above the floor) were applied before."""

    @abstractmethod
    def _prune(self, consumer: str, floor: int) -> None:
        """Forget applied sequences ``<= floor`` and remember the floor."""

    @abstractmethod
    def _sweep_minute(self) -> int | None: ...

    @abstractmethod
    def _seen(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of the (minute, id) keys were counted before."""

    @abstractmethod
    def _range_sums(self, lo: int, hi: int) -> dict[str, list[int]]:
        """Per product, the buckets summed over ``lo < minute <= hi`` (every product)."""

    @abstractmethod
    def _take_ahead(self, before: int) -> list[FeatureEvent]:
        """Remove and return the ahead events stamped before ``before`` (ms)."""

    @abstractmethod
    def _write(self, plan: Plan, consumer: str | None, sequences: Sequence[int]) -> None:
        """Queue the plan's deltas (and the consumer's newly applied sequences)."""

    @abstractmethod
    def _expire_and_set_sweep(self, old_sweep: int, sweep: int) -> None:
        """Queue: drop buckets and seen ids of minutes ``<= sweep - RETENTION``; set ``S``."""

    @abstractmethod
    def _snapshot(self, product_ids: Sequence[str], minute: int) -> Snapshot:
        """A consistent read of what :meth:`read` needs at ``minute``."""

    @abstractmethod
    def sample_products(self, n: int) -> list[str]:
        """Up to ``n`` products with totals (for the offline/online agreement check)."""

    @abstractmethod
    def close(self) -> None: ...

    # -- shared logic --------------------------------------------------------------------------
    def applied_sequence(self, consumer: str) -> int:
        """The highest stream sequence ``consumer`` has applied (0: none)."""
        return self._claim(consumer)[1]

    def _transaction(self, body: Callable[[], T]) -> T:
        """Run ``body`` in a write transaction, again if another writer committed first."""
        for _ in range(1000):
            self._begin()
            try:
                out = body()
                self._commit()
                return out
            except Conflict:
                self._rollback()
            except BaseException:
                self._rollback()
                raise
        raise RuntimeError("the feature store stayed busy for 1,000 attempts")

    def prune(self, consumer: str, ack_floor: int) -> None:
        """Forget the applied sequences at or below JetStream's ack floor."""

        def body() -> None:
            if ack_floor > self._claim(consumer)[0]:
                self._prune(consumer, ack_floor)
            self._write(Plan(), None, [])

        self._transaction(body)

    def apply(
        self, consumer: str, messages: Sequence[tuple[int, bytes]], now: int | None = None
    ) -> ApplyResult:
        """Count a batch of stream messages ``(stream sequence, payload)`` in one transaction
        with their sequences; ``now`` is the consumer's clock (ms)."""
        now = now_ms() if now is None else now
        return self._transaction(lambda: self._apply(consumer, messages, now))

    def _apply(self, consumer: str, messages: Sequence[tuple[int, bytes]], now: int) -> ApplyResult:
        result = ApplyResult(messages=len(messages))
        floor, last = self._claim(consumer)
        above = [seq for seq, _ in messages if seq > floor]
        done = self._applied(consumer, above) if above else set()
        sweep = self._sweep_minute()
        if sweep is None:  # a new store: the totals start at the clock's minute
            sweep = now // MINUTE
            self._expire_and_set_sweep(sweep, sweep)
        fresh: list[FeatureEvent] = []
        new_sequences = []
        for seq, raw in messages:
            if seq <= floor or seq in done:
                result.redelivered += 1
                continue
            done.add(seq)
            new_sequences.append(seq)
            ev = parse_event(raw)
            if ev is None:
                result.ignored += 1
            elif ev.minute <= sweep - RETENTION:
                result.expired += 1
            else:
                fresh.append(ev)
        keys = [(ev.minute, ev.id) for ev in fresh]
        seen = self._seen(keys) if keys else set()
        plan = Plan()
        for ev, key in zip(fresh, keys, strict=True):
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            plan.seen.append(key)
            if ev.created_at >= now:
                plan.ahead.append(ev)
                result.ahead += 1
            else:
                plan.count(ev, sweep)
                result.counted += 1
        result.last_sequence = max([last, *new_sequences])
        self._write(plan, consumer, new_sequences)
        return result

    def sweep(self, now: int | None = None) -> int:
        """Move the totals to the clock's minute, expire old buckets, bucket the ahead events
        now in the past; returns the minutes advanced."""
        now = now_ms() if now is None else now
        return self._transaction(lambda: self._sweep(now))

    def _sweep(self, now: int) -> int:
        target = now // MINUTE
        old = self._sweep_minute()
        advanced = 0
        if old is None:
            old = target
            self._expire_and_set_sweep(target, target)
        plan = Plan()
        if target > old:
            advanced = target - old
            for lo, hi, sign, windows in corrections(old, target):
                plan.add_range(self._range_sums(lo, hi), sign, windows)
            self._expire_and_set_sweep(old, target)
        sweep = max(old, target)
        for ev in self._take_ahead(now):
            plan.count(ev, sweep)
        self._write(plan, None, [])
        return advanced

    def read(
        self,
        product_ids: Sequence[str],
        as_of: int | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> tuple[int, list[Counts]]:
        """``(as_of, counts per product)``. Without ``as_of``, it is the clock after the read
        (right-open exactly). An explicit past ``as_of`` (the agreement check) is exact when no
        event stamped at or after it, in its minute, has been counted."""
        while True:
            start = clock() if as_of is None else as_of
            minute = start // MINUTE
            snap = self._snapshot(product_ids, minute)
            at = clock() if as_of is None else as_of
            if at // MINUTE == minute:
                break
        out = []
        fixes = corrections(snap.sweep, minute) if snap.sweep is not None else []
        for p in product_ids:
            counts = [list(row) for row in snap.totals.get(p) or zeros()]
            for (_, _, sign, windows), sums in zip(fixes, snap.ranges, strict=True):
                for k, n in enumerate(sums.get(p, (0, 0, 0))):
                    for w in windows:
                        counts[k][w] += sign * n
            for created_at, metric in snap.ahead.get(p, ()):
                m = created_at // MINUTE
                for w, length in enumerate(WINDOW_MINUTES):
                    if minute - length < m <= minute and created_at < at:
                        counts[metric][w] += 1
            out.append(counts)
        return at, out


def open_store() -> FeatureStore:
    """Redis when ``FEATURES_REDIS_URL`` is set, else the embedded SQLite store."""
    from tributary.features.settings import FeaturesSettings

    config = FeaturesSettings()
    if config.redis_url:
        from tributary.features.redis_store import RedisStore

        return RedisStore(config.redis_url, config.redis_prefix)
    from tributary.features.sqlite_store import SqliteStore

    return SqliteStore(config.sqlite_path)


__all__ = ["METRICS", "ApplyResult", "FeatureStore", "StoreOwned", "corrections", "open_store"]
