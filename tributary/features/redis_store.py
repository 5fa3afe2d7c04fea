"""The Redis online store (``FEATURES_REDIS_URL``): the same model as the SQLite store, laid
out the way Feast's Redis online store lays out an entity — one hash per entity key holding
its features — with the window totals as the served features and the minute buckets beside:

- ``<prefix>t:<product>`` hash ``i1h i1d i7d l1h … c7d``: the totals at the sweep minute;
- ``<prefix>b:<product>`` hash ``<minute>:<metric>``: the minute buckets (metric 0, 1, 2);
- ``<prefix>m:<minute>`` set of products with a bucket that minute, ``<prefix>minutes`` the
  sorted set of those minutes (the sweep's index);
- ``<prefix>s:<minute>`` set of the event ids counted for that minute (de-duplication);
- ``<prefix>a:<product>`` hash ``<created_at>:<id>`` → metric, ``<prefix>ahead`` sorted set by
  ``created_at``: events stamped ahead of the consumer's clock;
- ``<prefix>meta`` hash: ``sweep`` (minute), ``owner`` (the consumer), ``floor`` and ``seq``
  (its pruned ack floor and highest applied stream sequence); ``<prefix>applied`` the sorted
  set of its applied sequences above the floor.

A write transaction ``WATCH``es ``meta``, reads directly, and queues every write of a batch or
a sweep in one ``MULTI/EXEC`` that also bumps ``meta`` (atomic: a reader, or a crash, sees all
of it or none; a concurrent writer's commit makes it fail and retry). Readers run one
Lua script (atomic, one round trip) that applies the corrections server-side. Durability is Redis's:
with ``appendonly yes`` and ``appendfsync always`` the ``EXEC`` returns after the fsync; with
less, an acknowledged update survives a consumer crash but not a Redis crash (docs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import orjson
import redis

from tributary.features.store import (
    Conflict,
    FeatureStore,
    Plan,
    Snapshot,
    StoreOwned,
)
from tributary.features.windows import RETENTION, WINDOWS, Counts, FeatureEvent

TOTAL_FIELDS = [f"{m}{w}" for m in "ilc" for w in WINDOWS]
# The sweep's range sums: ARGV = prefix, lo, hi → flat [product, i, l, c, …] over every
# product's buckets with lo < minute <= hi (through the per-minute indexes).
RANGE_SCRIPT = """
local P = ARGV[1]
local minutes = redis.call('ZRANGEBYSCORE', P .. 'minutes', '(' .. ARGV[2], ARGV[3])
local sums, order = {}, {}
for _, m in ipairs(minutes) do
  for _, p in ipairs(redis.call('SMEMBERS', P .. 'm:' .. m)) do
    local v = redis.call('HMGET', P .. 'b:' .. p, m .. ':0', m .. ':1', m .. ':2')
    local s = sums[p]
    if not s then
      s = {0, 0, 0}
      sums[p] = s
      order[#order + 1] = p
    end
    for k = 1, 3 do s[k] = s[k] + (tonumber(v[k]) or 0) end
  end
end
local out = {}
for _, p in ipairs(order) do
  local s = sums[p]
  out[#out + 1] = p
  out[#out + 1] = s[1]
  out[#out + 1] = s[2]
  out[#out + 1] = s[3]
end
return out
"""

# A write transaction's plan (``_write``): ARGV = prefix, JSON {s: [[minute, [ids]]],
# b: [[product, minute, i, l, c]], t: [[product, 9 deltas]], a: [[product, created_at, id,
# metric, member]], q: [sequences], owner, sweep}. In a sweep, a product whose week totals
# reach zero loses its totals hash.
WRITE_SCRIPT = """
local P = ARGV[1]
local d = cjson.decode(ARGV[2])
local fields = {'i1h', 'i1d', 'i7d', 'l1h', 'l1d', 'l7d', 'c1h', 'c1d', 'c7d'}
local function add_all(cmd, key, items)
  for i = 1, #items, 500 do
    redis.call(cmd, key, unpack(items, i, math.min(i + 499, #items)))
  end
end
for _, s in ipairs(d.s) do add_all('SADD', P .. 's:' .. s[1], s[2]) end
for _, b in ipairs(d.b) do
  local key = P .. 'b:' .. b[1]
  for k = 0, 2 do
    if b[3 + k] ~= 0 then redis.call('HINCRBY', key, b[2] .. ':' .. k, b[3 + k]) end
  end
  redis.call('SADD', P .. 'm:' .. b[2], b[1])
  redis.call('ZADD', P .. 'minutes', b[2], b[2])
end
for _, t in ipairs(d.t) do
  local key = P .. 't:' .. t[1]
  for k = 1, 9 do
    if t[1 + k] ~= 0 then redis.call('HINCRBY', key, fields[k], t[1 + k]) end
  end
  if d.sweep == 1 then
    local v = redis.call('HMGET', key, 'i7d', 'l7d', 'c7d')
    if (tonumber(v[1]) or 0) == 0 and (tonumber(v[2]) or 0) == 0
        and (tonumber(v[3]) or 0) == 0 then
      redis.call('DEL', key)
    end
  end
end
for _, a in ipairs(d.a) do
  redis.call('HSET', P .. 'a:' .. a[1], a[2] .. ':' .. a[3], a[4])
  redis.call('ZADD', P .. 'ahead', a[2], a[5])
end
if #d.q > 0 then
  local pairs_ = {}
  local last = tonumber(redis.call('HGET', P .. 'meta', 'seq') or '0')
  for _, q in ipairs(d.q) do
    pairs_[#pairs_ + 1] = q
    pairs_[#pairs_ + 1] = q
    if tonumber(q) > last then last = tonumber(q) end
  end
  add_all('ZADD', P .. 'applied', pairs_)
  redis.call('HSET', P .. 'meta', 'owner', d.owner, 'seq', string.format('%d', last))
end
return 0
"""
# The read (``_snapshot``): ARGV = prefix, minute M, n, n product ids. Returns the sweep
# minute S (-1: none), then per product the 9 window sums at M (the totals at S corrected by
# the bucket ranges of ``store.corrections``), the number of its ahead events and their
# (created_at, metric) pairs. Keys are built in the script, so it needs a single Redis (or all
# of a product's keys in one cluster slot: docs).
READ_SCRIPT = """
local prefix, M, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local S = redis.call('HGET', prefix .. 'meta', 'sweep')
S = S and tonumber(S)
local fields = {'i1h', 'i1d', 'i7d', 'l1h', 'l1d', 'l7d', 'c1h', 'c1d', 'c7d'}
local lengths = {60, 1440, 10080}
local has_ahead = redis.call('ZCARD', prefix .. 'ahead') > 0
local out = {S or -1}
local function range_sums(key, lo, hi)
  local s = {0, 0, 0}
  if hi - lo > 48 then
    local all = redis.call('HGETALL', key)
    for i = 1, #all, 2 do
      local m, k = string.match(all[i], '^(%-?%d+):(%d)$')
      m = tonumber(m)
      if m > lo and m <= hi then s[k + 1] = s[k + 1] + tonumber(all[i + 1]) end
    end
  else
    local f = {}
    for m = lo + 1, hi do
      for k = 0, 2 do f[#f + 1] = m .. ':' .. k end
    end
    if #f > 0 then
      local v = redis.call('HMGET', key, unpack(f))
      for i = 1, #v do
        if v[i] then s[((i - 1) % 3) + 1] = s[((i - 1) % 3) + 1] + tonumber(v[i]) end
      end
    end
  end
  return s
end
local tprefix = prefix .. 't:'
local o = #out
for j = 1, n do
  local p = ARGV[3 + j]
  local t = redis.call('HMGET', tprefix .. p, unpack(fields))
  if S == M and not has_ahead then
    -- The usual case (the consumer sweeps every second): the totals are the answer.
    for k = 1, 9 do out[o + k] = tonumber(t[k]) or 0 end
    out[o + 10] = 0
    o = o + 10
  else
    local v = {}
    for k = 1, 9 do v[k] = tonumber(t[k]) or 0 end
    if S and M ~= S then
      local bkey = prefix .. 'b:' .. p
      local lo, hi, sign = S, M, 1
      if M < S then lo, hi, sign = M, S, -1 end
      local all = range_sums(bkey, lo, hi)
      for k = 0, 2 do
        for w = 1, 3 do v[k * 3 + w] = v[k * 3 + w] + sign * all[k + 1] end
      end
      for w = 1, 3 do
        local old = range_sums(bkey, lo - lengths[w], hi - lengths[w])
        for k = 0, 2 do v[k * 3 + w] = v[k * 3 + w] - sign * old[k + 1] end
      end
    end
    for k = 1, 9 do out[#out + 1] = v[k] end
    if has_ahead then
      local a = redis.call('HGETALL', prefix .. 'a:' .. p)
      out[#out + 1] = #a / 2
      for i = 1, #a, 2 do
        out[#out + 1] = tonumber(string.match(a[i], '^(%d+):'))
        out[#out + 1] = tonumber(a[i + 1])
      end
    else
      out[#out + 1] = 0
    end
    o = #out
  end
end
return out
"""


def _int(value: bytes | None) -> int:
    return 0 if value is None else int(value)


class RedisStore(FeatureStore):
    backend = "redis"

    def __init__(self, url: str, prefix: str = "tributary:features:") -> None:
        self.r = redis.Redis.from_url(url)
        self.prefix = prefix
        self.pipe: redis.client.Pipeline | None = None
        self._read_script = self.r.register_script(READ_SCRIPT)
        self._write_script = self.r.register_script(WRITE_SCRIPT)
        self._range_script = self.r.register_script(RANGE_SCRIPT)
        self.r.script_load(WRITE_SCRIPT)

    def close(self) -> None:
        self.r.close()

    def key(self, kind: str, name: str | int = "") -> str:
        return f"{self.prefix}{kind}{name}"

    def sample_products(self, n: int) -> list[str]:
        out: list[str] = []
        skip = len(self.key("t:"))
        for key in self.r.scan_iter(match=f"{self.prefix}t:*", count=max(n, 100)):
            out.append(key[skip:].decode())
            if len(out) >= n:
                break
        return out

    def _begin(self) -> None:
        # WATCH before any read: a commit by another writer in between fails our EXEC.
        self.pipe = self.r.pipeline(transaction=True)
        self.pipe.watch(self.key("meta"))
        self.pipe.multi()

    def _commit(self) -> None:
        assert self.pipe is not None
        self.pipe.hincrby(self.key("meta"), "writes", 1)  # every write transaction changes meta
        try:
            self.pipe.execute()
        except redis.WatchError as exc:
            raise Conflict from exc
        finally:
            self.pipe = None

    def _rollback(self) -> None:
        if self.pipe is not None:
            self.pipe.reset()
            self.pipe = None

    def _claim(self, consumer: str) -> tuple[int, int]:
        owner, floor, seq = self.r.hmget(self.key("meta"), "owner", "floor", "seq")
        if owner is not None and owner.decode() != consumer:
            raise StoreOwned(f"the feature store is maintained by consumer {owner.decode()!r}")
        return _int(floor), _int(seq)

    def _applied(self, consumer: str, sequences: Sequence[int]) -> set[int]:
        scores = self.r.zmscore(self.key("applied"), [str(q) for q in sequences])
        return {q for q, score in zip(sequences, scores, strict=True) if score is not None}

    def _prune(self, consumer: str, floor: int) -> None:
        assert self.pipe is not None
        self.pipe.zremrangebyscore(self.key("applied"), "-inf", floor)
        self.pipe.hset(self.key("meta"), "floor", floor)

    def _sweep_minute(self) -> int | None:
        value = self.r.hget(self.key("meta"), "sweep")
        return None if value is None else int(value)

    def _seen(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        by_minute: dict[int, list[str]] = defaultdict(list)
        for minute, id_ in keys:
            by_minute[minute].append(id_)
        pipe = self.r.pipeline(transaction=False)
        for minute, ids in by_minute.items():
            pipe.smismember(self.key("s:", minute), ids)
        found = set()
        for (minute, ids), flags in zip(by_minute.items(), pipe.execute(), strict=True):
            found.update((minute, i) for i, flag in zip(ids, flags, strict=True) if flag)
        return found

    def _range_sums(self, lo: int, hi: int) -> dict[str, list[int]]:
        flat = self._range_script(args=[self.prefix, lo, hi])
        return {
            flat[i].decode(): [int(flat[i + 1]), int(flat[i + 2]), int(flat[i + 3])]
            for i in range(0, len(flat), 4)
        }

    def _take_ahead(self, before: int) -> list[FeatureEvent]:
        members = self.r.zrangebyscore(self.key("ahead"), "-inf", f"({before}", withscores=True)
        assert self.pipe is not None
        events = []
        for member, score in members:
            product, id_, metric = orjson.loads(member)
            created = int(score)
            events.append(FeatureEvent(id_, product, metric, created))
            self.pipe.zrem(self.key("ahead"), member)
            self.pipe.hdel(self.key("a:", product), f"{created}:{id_}")
        return events

    def _write(self, plan: Plan, consumer: str | None, sequences: Sequence[int]) -> None:
        # The whole plan as one script call queued in the transaction: the increments run in
        # the server (a command per field from Python costs more than the server's work).
        pipe = self.pipe
        assert pipe is not None
        seen: dict[int, list[str]] = defaultdict(list)
        for minute, id_ in plan.seen:
            seen[minute].append(id_)
        payload = {
            "s": [[str(m), ids] for m, ids in seen.items()],
            "b": [[p, str(m), *c] for (p, m), c in plan.buckets.items()],
            "t": [
                [p, *(n for row in c for n in row)]
                for p, c in plan.totals.items()
                if any(map(any, c))
            ],
            "a": [
                [
                    e.product_id,
                    str(e.created_at),
                    e.id,
                    e.metric,
                    orjson.dumps([e.product_id, e.id, e.metric]).decode(),
                ]
                for e in plan.ahead
            ],
            "q": [str(q) for q in sequences],
            "owner": consumer or "",
            "sweep": 1 if consumer is None else 0,
        }
        if any(payload[k] for k in "sbtaq"):
            pipe.evalsha(self._write_script.sha, 0, self.prefix, orjson.dumps(payload))

    def _expire_and_set_sweep(self, old_sweep: int, sweep: int) -> None:
        pipe = self.pipe
        assert pipe is not None
        edge = sweep - RETENTION
        minutes = [int(m) for m in self.r.zrangebyscore(self.key("minutes"), "-inf", edge)]
        read = self.r.pipeline(transaction=False)
        for m in minutes:
            read.smembers(self.key("m:", m))
        for m, products in zip(minutes, read.execute(), strict=True):
            for p in products:
                pipe.hdel(self.key("b:", p.decode()), f"{m}:0", f"{m}:1", f"{m}:2")
            pipe.delete(self.key("m:", m), self.key("s:", m))
        if minutes:
            pipe.zremrangebyscore(self.key("minutes"), "-inf", edge)
        pipe.hset(self.key("meta"), "sweep", sweep)

    def _snapshot(self, product_ids: Sequence[str], minute: int) -> Snapshot:
        # One server-side script: atomic (no write interleaves) and one round trip, whatever
        # the number of products; per product 9 window sums (corrections applied) and the
        # ahead events as (created_at, metric) pairs.
        ids = list(dict.fromkeys(product_ids))
        reply = self._read_script(args=[self.prefix, minute, len(ids), *ids])
        sweep = None if reply[0] < 0 else reply[0]
        totals: dict[str, Counts] = {}
        ahead: dict[str, list[tuple[int, int]]] = {}
        pos = 1
        for p in ids:
            nums = reply[pos : pos + 9]
            count = reply[pos + 9]
            pos += 10
            totals[p] = [nums[0:3], nums[3:6], nums[6:9]]
            if count:
                pairs = reply[pos : pos + 2 * count]
                ahead[p] = list(zip(pairs[0::2], pairs[1::2], strict=True))
                pos += 2 * count
        # The corrections are already in the totals: none left for the caller to apply.
        return Snapshot(None if sweep is None else minute, totals, [], ahead)

    def drop(self) -> int:
        """Delete every key under the prefix (tests, benches); returns how many."""
        deleted = 0
        for batch in self._scan_batches():
            deleted += self.r.delete(*batch)
        return deleted

    def _scan_batches(self):
        batch = []
        for key in self.r.scan_iter(match=f"{self.prefix}*", count=1000):
            batch.append(key)
            if len(batch) == 500:
                yield batch
                batch = []
        if batch:
            yield batch
