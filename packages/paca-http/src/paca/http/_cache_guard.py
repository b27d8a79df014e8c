"""Store access for :class:`~paca.http.ResponseCache` that never fails a request.

:class:`GuardedStore` is a mixin holding the cache's reads, writes and deletes: each one
catches a failing :class:`~paca.http.CacheStore`, logs it, counts ``store_errors`` and lets the
request go on to the origin. The read also picks the stored variant that matches the request's
``Vary`` fields; the write keeps an entry as long as :func:`~paca.http._freshness.retention`
says.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from paca.http._cache_key import primary_key, vary_digest
from paca.http._freshness import CACHEABLE_METHODS, retention

if TYPE_CHECKING:
    from multidict import CIMultiDict

    from paca.http._cache_policy import CachePolicy
    from paca.http._cache_store import CacheStore
    from paca.http._freshness import CacheEntry
    from paca.resilience import Clock

__all__ = ["GuardedStore"]

_log = logging.getLogger("paca.http.cache")


class GuardedStore:
    """Mixin: the store calls of a response cache, with store failures contained.

    The class using it sets ``_store``, ``_clock``, ``_counts`` (with a ``"store_errors"``
    and a ``"stores"`` counter) and ``_keep_stale``.
    """

    _store: CacheStore
    _clock: Clock
    _counts: dict[str, int]
    _keep_stale: float

    async def _lookup(
        self, primary: str, headers: CIMultiDict[str], now: float
    ) -> tuple[CacheEntry | None, tuple[str, ...]]:
        """Return the most recent variant matching the request, and the Vary names seen."""
        try:
            variants = await self._store.get(primary, now)
        except Exception:
            self._counts["store_errors"] += 1
            _log.warning("cache store read failed; going to the origin", exc_info=True)
            return None, ()
        if not variants:
            return None, ()
        if len(variants) == 1 and not variants[0].vary_names:
            return variants[0], ()
        digests: dict[tuple[str, ...], str] = {}
        for entry in reversed(variants):
            names = entry.vary_names
            if names not in digests:
                digests[names] = vary_digest(names, headers)
            if digests[names] == entry.vary_digest:
                return entry, names
        return None, variants[-1].vary_names

    async def _put(self, primary: str, entry: CacheEntry, policy: CachePolicy) -> None:
        """Store ``entry`` for as long as :func:`retention` allows (nothing when that is 0)."""
        ttl = retention(entry, policy.stale_if_error, self._keep_stale)
        if ttl <= 0:
            return
        try:
            stored = await self._store.put(primary, entry, ttl, self._clock.now())
        except Exception:
            self._counts["store_errors"] += 1
            _log.warning("cache store write failed", exc_info=True)
            return
        if stored:
            self._counts["stores"] += 1

    async def _invalidate(self, url: str, partition: str | None) -> None:
        """Delete the ``GET``/``HEAD`` entries of ``url``, unpartitioned and in ``partition``."""
        partitions = {None, partition}
        for method in CACHEABLE_METHODS:
            for part in partitions:
                try:
                    await self._store.delete(primary_key(method, url, (), part))
                except Exception:
                    self._counts["store_errors"] += 1
                    _log.warning("cache store delete failed", exc_info=True)
