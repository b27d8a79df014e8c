"""``RedisCacheStore``: one response cache shared by every process that uses the same prefix.

Layout: one Redis hash per primary key, ``{prefix}:{sha256 hex}``; per variant (secondary
key, itself a digest) three fields: the serialised entry, the Redis ``TIME`` it was written
at (``|t``) and its expiry (``|x``). The hash's own TTL is the longest of its variants'.
Keys and field names are digests, values hold only the response and timing metadata, so a
secret in a query string or request header never reaches Redis in plain text.

Clocks: each process measures ages with its own monotonic clock, so an entry is written
with its age at write time and Redis ``TIME`` as the shared clock; a reader in another
process adds the Redis time elapsed since the write and rebases the entry onto its own
clock. So the age of an entry read from Redis is measured by Redis ``TIME``: advancing a
local (fake) clock does not age it. The ``redis`` package is imported only by
:meth:`RedisCacheStore.from_url`.
"""

from __future__ import annotations

import json
import math
import struct
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy

from paca.http._exchange import RawResponse
from paca.http._freshness import CacheEntry

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisCacheStore", "decode_entry", "encode_entry"]

_MAGIC = b"PC1"
_HEAD = struct.Struct(">I")

_PUT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[1] .. '|t', now, ARGV[1] .. '|x', now + ttl)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

_GET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, redis.call('HGETALL', KEYS[1])}
"""


def encode_entry(entry: CacheEntry, now: float) -> bytes:
    """Serialise ``entry`` with its timing relative to clock reading ``now``."""
    r = entry.response
    meta = {
        "s": r.status,
        "r": r.reason,
        "u": r.url,
        "h": list(r.headers.items()),
        "ag": max(0.0, now - entry.response_time),
        "dl": max(0.0, entry.response_time - entry.request_time),
        "lt": entry.lifetime,
        "ia": entry.initial_age,
        "vn": list(entry.vary_names),
        "vd": entry.vary_digest,
        "q": entry.query_from_request,
        "o": entry.overridden,
    }
    head = json.dumps(meta, separators=(",", ":")).encode("utf-8", "surrogateescape")
    return b"".join((_MAGIC, _HEAD.pack(len(head)), head, r.body))


def decode_entry(blob: bytes, now: float, elapsed: float = 0.0) -> CacheEntry | None:
    """Rebuild an entry on clock reading ``now``, ``elapsed`` seconds after it was encoded.

    Returns ``None`` for anything that is not an entry this module wrote.
    """
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + _HEAD.size:
        return None
    try:
        (size,) = _HEAD.unpack_from(blob, len(_MAGIC))
        start = len(_MAGIC) + _HEAD.size
        meta = json.loads(blob[start : start + size].decode("utf-8", "surrogateescape"))
        headers = CIMultiDictProxy(CIMultiDict((str(k), str(v)) for k, v in meta["h"]))
        response = RawResponse(
            int(meta["s"]), headers, blob[start + size :], str(meta["u"]), str(meta["r"])
        )
        response_time = now - float(meta["ag"]) - max(0.0, elapsed)
        entry = CacheEntry(
            response,
            response_time - float(meta["dl"]),
            response_time,
            float(meta["lt"]),
            float(meta["ia"]),
            tuple(str(n) for n in meta["vn"]),
            str(meta["vd"]),
            bool(meta["q"]),
            bool(meta["o"]),
        )
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
        return None
    return entry


class RedisCacheStore:
    """A :class:`~paca.http.CacheStore` in Redis, shared by processes using the same prefix.

    Args:
        client: A ``redis.asyncio.Redis`` client with ``decode_responses=False`` (bodies are
            bytes). The store does not close it.
        prefix: Namespace of every key this store writes (no spaces or glob characters).

    Example:
        >>> import redis.asyncio as aioredis  # doctest: +SKIP
        >>> store = RedisCacheStore(aioredis.Redis.from_url("redis://localhost"))  # doctest: +SKIP
    """

    __slots__ = ("_get", "_put", "client", "prefix")

    def __init__(self, client: Redis, *, prefix: str = "paca:http-cache") -> None:
        if not prefix or any(c in prefix for c in " *?[]{}\\"):
            msg = f"prefix must be non-empty without spaces, braces or glob characters: {prefix!r}"
            raise ValueError(msg)
        kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
        if kwargs.get("decode_responses"):
            msg = "RedisCacheStore needs a client with decode_responses=False (bodies are bytes)"
            raise ValueError(msg)
        self.client = client
        self.prefix = prefix
        self._put = client.register_script(_PUT)
        self._get = client.register_script(_GET)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "paca:http-cache") -> RedisCacheStore:
        """Connect with ``redis.asyncio.Redis.from_url`` (needs the ``redis`` extra)."""
        from redis.asyncio import Redis  # noqa: PLC0415 - optional dependency, imported lazily

        return cls(Redis.from_url(url), prefix=prefix)

    def _key(self, primary: str) -> str:
        return f"{self.prefix}:{primary}"

    async def get(self, primary: str, now: float) -> list[CacheEntry]:
        """Return the unexpired variants under ``primary``, rebased onto clock reading ``now``."""
        redis_now, flat = await self._get(keys=[self._key(primary)])
        fields: dict[str, bytes] = {}
        for i in range(0, len(flat) - 1, 2):
            name = flat[i].decode() if isinstance(flat[i], bytes) else str(flat[i])
            fields[name] = flat[i + 1]
        found: list[CacheEntry] = []
        for name, blob in fields.items():
            if "|" in name:
                continue
            written, expires = _number(fields.get(f"{name}|t")), _number(fields.get(f"{name}|x"))
            if written is None or expires is None or expires <= redis_now:
                continue
            entry = decode_entry(bytes(blob), now, (int(redis_now) - written) / 1000.0)
            if entry is not None:
                found.append(entry)
        found.sort(key=lambda e: e.response_time)
        return found

    async def put(self, primary: str, entry: CacheEntry, ttl: float, now: float) -> bool:
        """Write ``entry`` with a TTL of ``ttl`` seconds (rounded up to milliseconds)."""
        if ttl <= 0 or not math.isfinite(ttl):
            return False
        ttl_ms = max(1, math.ceil(ttl * 1000))
        blob = encode_entry(entry, now)
        await self._put(keys=[self._key(primary)], args=[entry.vary_digest, blob, ttl_ms])
        return True

    async def delete(self, primary: str) -> None:
        """Remove every variant under ``primary``."""
        await self.client.delete(self._key(primary))

    async def clear(self) -> None:
        """Remove every key under this store's prefix (SCAN, then UNLINK in batches)."""
        batch: list[Any] = []
        async for key in self.client.scan_iter(match=f"{self.prefix}:*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                await self.client.unlink(*batch)
                batch = []
        if batch:
            await self.client.unlink(*batch)

    @property
    def evictions(self) -> int:
        """Always 0: Redis evicts by its own policy and TTLs, unseen by this process."""
        return 0

    @property
    def size_bytes(self) -> None:
        """Unknown without a scan of Redis: ``None``."""
        return None

    def __repr__(self) -> str:
        return f"RedisCacheStore(prefix={self.prefix!r})"


def _number(value: object) -> int | None:
    if isinstance(value, (bytes, str, int)):
        try:
            return int(value)
        except ValueError:
            return None
    return None
