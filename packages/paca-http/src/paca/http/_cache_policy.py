"""Configuration and counters of the response cache: ``CachePolicy`` and ``CacheStats``."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CachePolicy", "CacheStats"]


def _check_seconds(name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        msg = f"{name} must be a finite number of seconds >= 0 or None, got {value!r}"
        raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How one endpoint (or the whole cache) uses the response cache.

    Attributes:
        ttl: Explicit freshness lifetime in seconds. When set, the origin's caching headers
            (``Cache-Control``, ``Expires``, even ``no-store``) are ignored; only statuses
            cacheable by default (200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501)
            are stored. ``None`` (default): follow the origin's headers (RFC 9111).
        store_authenticated: Store responses to authenticated requests. Off by default:
            such responses are never stored, and are never stored when they set a cookie.
        authenticated: The request carries credentials even if the request object has no
            ``Authorization`` header yet (the client applies auth after the cache lookup).
        max_body_bytes: Largest body to store; ``None`` uses the cache's limit.
        stale_if_error: Seconds a stale response may answer when the origin fails (raises,
            or answers 500/502/503/504), whatever the response's own directives say.
        partition: A label mixed into the cache key (hashed), e.g. a credential
            fingerprint, so that different credentials never share entries.
    """

    ttl: float | None = None
    store_authenticated: bool = False
    authenticated: bool = False
    max_body_bytes: int | None = None
    stale_if_error: float | None = None
    partition: str | None = None

    def __post_init__(self) -> None:
        _check_seconds("ttl", self.ttl)
        _check_seconds("stale_if_error", self.stale_if_error)
        if self.max_body_bytes is not None and self.max_body_bytes < 0:
            msg = f"max_body_bytes must be >= 0 or None, got {self.max_body_bytes!r}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class CacheStats:
    """A snapshot of a cache's counters since creation.

    Attributes:
        hits: Fresh responses served from the cache.
        misses: Requests answered by the origin (stored or not).
        revalidations: Stale responses confirmed by a 304 and served.
        stale: Stale responses served (``stale-while-revalidate``, ``max-stale`` or
            ``stale-if-error``).
        bypasses: Requests the cache did not handle (method, ``no-store``, credentials...).
        coalesced: Requests that waited for an identical request already in flight.
        stores: Responses written to the store.
        evictions: Entries the store evicted for room.
        store_errors: Store operations that failed (the request went on without the cache).
        bytes: Bytes held by the store, ``None`` when it cannot tell.
    """

    hits: int = 0
    misses: int = 0
    revalidations: int = 0
    stale: int = 0
    bypasses: int = 0
    coalesced: int = 0
    stores: int = 0
    evictions: int = 0
    store_errors: int = 0
    bytes: int | None = 0
