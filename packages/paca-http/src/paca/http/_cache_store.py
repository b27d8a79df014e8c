"""Where the response cache keeps its entries: the ``CacheStore`` protocol and memory LRU.

A store maps a primary key (a SHA-256 hex digest of method + URL) to the variants stored
under it, one per secondary key (:attr:`CacheEntry.vary_digest`). Every method takes the
cache's clock reading ``now``, so a store can expire entries and (for Redis) translate
timestamps between processes. Stores hold only hashed keys and responses, never requests.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from paca.http._freshness import CacheEntry

__all__ = ["CacheStore", "MemoryCacheStore"]


@runtime_checkable
class CacheStore(Protocol):
    """Storage for :class:`~paca.http.ResponseCache` entries."""

    async def get(self, primary: str, now: float) -> list[CacheEntry]:
        """Return the live variants stored under ``primary`` (most recent last)."""
        ...

    async def put(self, primary: str, entry: CacheEntry, ttl: float, now: float) -> bool:
        """Store ``entry`` for ``ttl`` seconds, replacing the variant with its secondary key.

        Returns:
            Whether it was stored (a store may refuse an entry larger than its capacity).
        """
        ...

    async def delete(self, primary: str) -> None:
        """Remove every variant stored under ``primary``."""
        ...

    async def clear(self) -> None:
        """Remove every entry of this store."""
        ...

    @property
    def evictions(self) -> int:
        """How many entries were evicted to make room (not counting expiry)."""
        ...

    @property
    def size_bytes(self) -> int | None:
        """Bytes held now, or ``None`` when the store cannot tell cheaply."""
        ...


class MemoryCacheStore:
    """An in-process store, least-recently-used first out, bounded by bytes.

    An entry's size is its body, header fields and URL plus a fixed overhead. When a new
    entry pushes the total over ``max_bytes``, whole primary keys (all their variants) are
    evicted, least recently used first. An entry larger than ``max_bytes`` is not stored.

    Args:
        max_bytes: Capacity in bytes (default 64 MiB).
        max_entries: Optional cap on the number of primary keys.
    """

    __slots__ = ("_bytes", "_data", "_evictions", "max_bytes", "max_entries")

    def __init__(
        self, max_bytes: int = 64 * 1024 * 1024, *, max_entries: int | None = None
    ) -> None:
        if max_bytes < 1:
            msg = f"max_bytes must be positive, got {max_bytes!r}"
            raise ValueError(msg)
        if max_entries is not None and max_entries < 1:
            msg = f"max_entries must be positive or None, got {max_entries!r}"
            raise ValueError(msg)
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        # primary -> {secondary: (entry, expires_at)}; order = recency of use
        self._data: OrderedDict[str, dict[str, tuple[CacheEntry, float]]] = OrderedDict()
        self._bytes = 0
        self._evictions = 0

    async def get(self, primary: str, now: float) -> list[CacheEntry]:
        """Return the unexpired variants under ``primary`` and mark the key recently used."""
        variants = self._data.get(primary)
        if variants is None:
            return []
        live = []
        for secondary, (entry, expires_at) in list(variants.items()):
            if expires_at <= now:
                del variants[secondary]
                self._bytes -= entry.size
            else:
                live.append(entry)
        if not variants:
            del self._data[primary]
            return []
        self._data.move_to_end(primary)
        return live

    async def put(self, primary: str, entry: CacheEntry, ttl: float, now: float) -> bool:
        """Store ``entry`` until ``now + ttl``, then evict least recently used keys to fit."""
        if entry.size > self.max_bytes or ttl <= 0:
            return False
        variants = self._data.get(primary)
        if variants is None:
            variants = self._data[primary] = {}
        else:
            self._data.move_to_end(primary)
        old = variants.pop(entry.vary_digest, None)
        if old is not None:
            self._bytes -= old[0].size
        variants[entry.vary_digest] = (entry, now + ttl)
        self._bytes += entry.size
        self._evict()
        return True

    def _evict(self) -> None:
        while self._data and (
            self._bytes > self.max_bytes
            or (self.max_entries is not None and len(self._data) > self.max_entries)
        ):
            _, variants = self._data.popitem(last=False)
            for entry, _ in variants.values():
                self._bytes -= entry.size
                self._evictions += 1

    async def delete(self, primary: str) -> None:
        """Forget every variant under ``primary``."""
        variants = self._data.pop(primary, None)
        if variants:
            self._bytes -= sum(entry.size for entry, _ in variants.values())

    async def clear(self) -> None:
        """Forget everything."""
        self._data.clear()
        self._bytes = 0

    def keys(self) -> list[str]:
        """The primary keys held, least recently used first (hex digests, never URLs)."""
        return list(self._data)

    @property
    def evictions(self) -> int:
        """Entries evicted for room since creation."""
        return self._evictions

    @property
    def size_bytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return sum(len(v) for v in self._data.values())

    def __repr__(self) -> str:
        return f"MemoryCacheStore(bytes={self._bytes}/{self.max_bytes}, keys={len(self._data)})"
