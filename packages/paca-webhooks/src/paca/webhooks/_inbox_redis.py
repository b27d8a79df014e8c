"""``RedisInbox``: the shared inbox on a Redis Stream with a consumer group.

Receivers on many hosts ``put`` into one stream and workers on many hosts ``claim`` from it
through one consumer group, so each event goes to one worker at a time:

- **dedup + enqueue** is one Lua script: ``SET seen-key NX PX retention`` and, only if it was
  set, ``XADD``. Two receivers racing on the same event id cannot both enqueue it; the dedup
  key expires after the retention (4 days by default).
- **claim**: ``XREADGROUP ... >`` for new entries; ``XAUTOCLAIM`` takes over entries whose
  consumer has been idle longer than the lease (a worker that died), counting their deliveries.
- **complete**: ``XACK`` + ``XDEL``. **retry_later**: the entry moves (Lua, atomically) to a
  hash scheduled in a sorted set by Redis ``TIME``; due entries are moved back to the stream.
- **dead letters**: a hash per letter, indexed by ``(source, event_id)``; replay moves it back.

``redis`` is the optional extra ``paca-webhooks[redis]``; it is imported when the inbox opens.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from typing import TYPE_CHECKING, Any

from paca.webhooks._inbox import InboxUnavailableError, StoredEvent

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["RedisInbox"]

# KEYS: seen, stream. ARGV: ttl_ms, source, id, type, body, received_at.
_PUT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 's', ARGV[2], 'i', ARGV[3], 't', ARGV[4], 'b', ARGV[5],
             'r', ARGV[6], 'a', '0')
  return 1
end
return 0
"""

# KEYS: stream, group, delayed zset, target hash. ARGV: entry id, delay_ms, attempts, error.
# Moves a claimed entry into a scheduled hash, atomically.
_RETRY = """
local fields = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
redis.call('XACK', KEYS[1], KEYS[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
if #fields == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[4], unpack(fields[1][2]))
redis.call('HSET', KEYS[4], 'a', ARGV[3], 'e', ARGV[4])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), KEYS[4])
return 1
"""

# KEYS: delayed zset, stream. ARGV: max. Moves due scheduled entries back into the stream.
_PROMOTE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, key in ipairs(due) do
  local fields = redis.call('HGETALL', key)
  if #fields > 0 then redis.call('XADD', KEYS[2], '*', unpack(fields)) end
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], key)
end
return #due
"""

# KEYS: stream, group, dead index, letter hash. ARGV: entry id, index field, attempts, error.
_BURY = """
local fields = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
redis.call('XACK', KEYS[1], KEYS[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
if #fields == 0 then return 0 end
redis.call('HSET', KEYS[4], unpack(fields[1][2]))
redis.call('HSET', KEYS[4], 'a', ARGV[3], 'e', ARGV[4])
redis.call('HSET', KEYS[3], ARGV[2], KEYS[4])
return 1
"""

# KEYS: dead index, stream. ARGV: index field. Moves a dead letter back with zero attempts.
_REPLAY = """
local key = redis.call('HGET', KEYS[1], ARGV[1])
if not key then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'a', '0')
redis.call('HDEL', key, 'e')
redis.call('XADD', KEYS[2], '*', unpack(redis.call('HGETALL', key)))
redis.call('DEL', key)
return 1
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _index_field(source: str, event_id: str) -> str:
    return f"{len(source)}:{source}:{event_id}"


def _stored(entry_id: Any, fields: dict[bytes, bytes], attempts: int) -> StoredEvent:
    return StoredEvent(
        source=_text(fields[b"s"]),
        event_id=_text(fields[b"i"]),
        event_type=_text(fields[b"t"]),
        body=bytes(fields[b"b"]),
        received_at=float(fields[b"r"]),
        attempts=attempts,
        error=_text(fields[b"e"]) if b"e" in fields else None,
        token=_text(entry_id),
    )


class RedisInbox:
    """The inbox on a Redis Stream shared by receivers and workers on many hosts.

    Args:
        url: The Redis URL (``redis://host:6379/0``), used when ``client`` is not given.
        client: A ``redis.asyncio.Redis`` created with ``decode_responses=False``.
        prefix: The key prefix: the stream is ``{prefix}:stream`` and the consumer group
            ``group``; dedup keys are ``{prefix}:seen:...``.
        group: The consumer group name shared by every worker of this inbox.
        consumer: This process's consumer name (default: host, pid and a random suffix).
        retention: Seconds a dedup record lives (default 4 days).
        reclaim_interval: Seconds between two ``XAUTOCLAIM`` sweeps for entries of dead workers.
        retry_after: Seconds advertised to senders when Redis is down.

    Example:
        >>> inbox = RedisInbox("redis://127.0.0.1:6379/0", prefix="billing")
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.asyncio.Redis | None = None,
        prefix: str = "paca:webhooks",
        group: str = "workers",
        consumer: str | None = None,
        retention: float = 4 * 86400.0,
        reclaim_interval: float = 1.0,
        retry_after: float = 5.0,
    ) -> None:
        if url is None and client is None:
            msg = "RedisInbox needs a url or a client"
            raise ValueError(msg)
        if not retention > 0:
            msg = f"retention must be > 0, got {retention!r}"
            raise ValueError(msg)
        self._url = url
        self._client = client
        self._owns_client = client is None
        self.prefix = prefix
        self.stream = f"{prefix}:stream"
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._ttl_ms = int(retention * 1000)
        self._reclaim_every = reclaim_interval
        self._retry_after = retry_after
        self._last_reclaim = float("-inf")
        self._ready = False
        self._scripts: dict[str, Any] = {}

    # -- lifecycle -----------------------------------------------------------

    async def open(self) -> None:
        """Connect and create the consumer group (from the stream's start). Idempotent."""
        if self._ready:
            return
        import redis.asyncio as aioredis  # noqa: PLC0415 - the optional extra
        from redis.exceptions import RedisError, ResponseError  # noqa: PLC0415

        if self._client is None:
            assert self._url is not None  # noqa: S101 - checked in __init__
            self._client = aioredis.Redis.from_url(self._url, decode_responses=False)
        client = self._client
        try:
            await client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        except (RedisError, OSError) as exc:
            raise InboxUnavailableError(
                f"Redis inbox unreachable: {exc}", retry_after=self._retry_after
            ) from exc
        for name, source in (
            ("put", _PUT),
            ("retry", _RETRY),
            ("promote", _PROMOTE),
            ("bury", _BURY),
            ("replay", _REPLAY),
        ):
            self._scripts[name] = client.register_script(source)
        self._ready = True

    async def close(self) -> None:
        """Close the client if this inbox created it. Idempotent."""
        self._ready = False
        client = self._client
        if client is not None and self._owns_client:
            self._client = None
            await client.aclose()

    async def __aenter__(self) -> RedisInbox:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _redis(self) -> redis.asyncio.Redis:
        if not self._ready:
            await self.open()
        assert self._client is not None  # noqa: S101 - set by open()
        return self._client

    def _seen_key(self, source: str, event_id: str) -> str:
        return f"{self.prefix}:seen:{_index_field(source, event_id)}"

    # -- receiving -----------------------------------------------------------

    async def put(
        self, source: str, event_id: str, event_type: str, body: bytes, received_at: float
    ) -> bool:
        """Deduplicate and enqueue in one Lua script; return whether the event was new.

        Raises:
            InboxUnavailableError: Redis could not be reached or refused the write.
        """
        from redis.exceptions import RedisError  # noqa: PLC0415

        try:
            await self._redis()
            added = await self._scripts["put"](
                keys=[self._seen_key(source, event_id), self.stream],
                args=[self._ttl_ms, source, event_id, event_type, body, repr(received_at)],
            )
        except InboxUnavailableError:
            raise
        except (RedisError, OSError) as exc:
            raise InboxUnavailableError(
                f"Redis inbox write failed: {exc}", retry_after=self._retry_after
            ) from exc
        return bool(added)

    # -- working -------------------------------------------------------------

    async def claim(self, limit: int, lease: float, wait: float) -> list[StoredEvent]:
        """Promote due retries, reclaim stale entries, then read new ones (see ``Inbox``)."""
        client = await self._redis()
        await self._scripts["promote"](keys=[f"{self.prefix}:delayed", self.stream], args=[100])
        loop_time = time.monotonic()
        if loop_time - self._last_reclaim >= self._reclaim_every:
            self._last_reclaim = loop_time
            reclaimed = await self._reclaim(client, limit, lease)
            if reclaimed:
                return reclaimed
        block = max(1, int(wait * 1000)) if wait > 0 else None
        reply: Any = await client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=limit, block=block
        )
        events = []
        for _stream, entries in reply or ():
            for entry_id, fields in entries:
                if fields:
                    events.append(_stored(entry_id, fields, int(fields.get(b"a", 0)) + 1))
        return events

    async def _reclaim(
        self, client: redis.asyncio.Redis, limit: int, lease: float
    ) -> list[StoredEvent]:
        reply: Any = await client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=max(1, int(lease * 1000)),
            start_id="0-0",
            count=limit,
        )
        entries = reply[1] if len(reply) > 1 else []
        events = []
        for entry_id, fields in entries:
            if not fields:
                continue
            pending = await client.xpending_range(
                self.stream, self.group, min=entry_id, max=entry_id, count=1
            )
            delivered = int(pending[0]["times_delivered"]) if pending else 1
            events.append(_stored(entry_id, fields, int(fields.get(b"a", 0)) + delivered))
        return events

    async def complete(self, event: StoredEvent) -> None:
        """``XACK`` and ``XDEL`` the entry (its dedup key stays until it expires)."""
        client = await self._redis()
        async with client.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, event.token)
            pipe.xdel(self.stream, event.token)
            await pipe.execute()

    async def retry_later(self, event: StoredEvent, delay: float, error: str) -> None:
        """Move the entry to the schedule, due ``delay`` seconds from Redis ``TIME``."""
        await self._redis()
        await self._scripts["retry"](
            keys=[
                self.stream,
                self.group,
                f"{self.prefix}:delayed",
                f"{self.prefix}:retry:{event.token}",
            ],
            args=[event.token, int(delay * 1000), event.attempts, error],
        )

    async def dead_letter(self, event: StoredEvent, error: str) -> None:
        """Move the entry to a dead-letter hash indexed by ``(source, event_id)``."""
        await self._redis()
        await self._scripts["bury"](
            keys=[
                self.stream,
                self.group,
                f"{self.prefix}:dead",
                f"{self.prefix}:letter:{event.token}",
            ],
            args=[
                event.token,
                _index_field(event.source, event.event_id),
                event.attempts,
                error,
            ],
        )

    async def dead_letters(self, limit: int = 100) -> list[StoredEvent]:
        """Return up to ``limit`` dead letters, oldest first."""
        client = await self._redis()
        keys = list((await client.hgetall(f"{self.prefix}:dead")).values())
        async with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(key)
            rows = await pipe.execute()
        letters = [
            _stored(_text(key).rsplit(":", 1)[-1], row, int(row.get(b"a", 0)))
            for key, row in zip(keys, rows, strict=True)
            if row
        ]
        letters.sort(key=lambda e: e.received_at)
        return letters[:limit]

    async def replay(self, event_id: str, source: str | None = None) -> bool:
        """Move a dead letter back to the stream with zero attempts."""
        client = await self._redis()
        if source is None:
            fields = [_text(f) for f in await client.hkeys(f"{self.prefix}:dead")]
            matches = [f for f in fields if f.endswith(f":{event_id}")]
        else:
            matches = [_index_field(source, event_id)]
        found = False
        for field in matches:
            replayed = await self._scripts["replay"](
                keys=[f"{self.prefix}:dead", self.stream], args=[field]
            )
            found = found or bool(replayed)
        return found

    async def prune(self, older_than: float) -> int:
        """Nothing to do: dedup keys expire by TTL, processed entries are deleted."""
        del older_than
        return 0

    async def pending(self) -> int:
        """Entries in the stream not yet completed (new, claimed or reclaimable)."""
        client = await self._redis()
        return int(await client.xlen(self.stream))

    async def delete_all(self) -> None:
        """Delete every key of this prefix (for tests and teardown)."""
        client = await self._redis()
        keys = [key async for key in client.scan_iter(match=f"{self.prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
        self._ready = False

    def __repr__(self) -> str:
        return f"RedisInbox(prefix={self.prefix!r}, group={self.group!r})"
