"""``ResponseCache``: an RFC 9111 private cache in front of an origin call.

The rules live in :mod:`paca.http._freshness` (pure); this module does the I/O around them:
the origin call, single-flight coalescing and background refreshes. Store reads, writes and
deletes come from the :class:`~paca.http._cache_guard.GuardedStore` mixin.

Only ``GET`` and ``HEAD`` are cached. An unsafe request (``POST``, ``PUT``...) goes to the
origin and, on a 2xx/3xx answer, invalidates the stored responses of its URL and of its
same-origin ``Location``/``Content-Location``. Ages run on the injected ``clock``
(see :mod:`paca.http._freshness` for how ``Date`` is used). A failing store never fails a
request: the cache logs, counts ``store_errors`` and goes to the origin.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from paca.http._cache_control import EMPTY_CACHE_CONTROL, CacheControl
from paca.http._cache_flight import SingleFlight
from paca.http._cache_guard import GuardedStore
from paca.http._cache_key import primary_key, vary_digest
from paca.http._cache_policy import CachePolicy, CacheStats
from paca.http._cache_request import (
    BYPASS_FIELDS,
    copy_request,
    full_url,
    request_cache_control,
    same_resource,
    strip_query,
    with_query,
)
from paca.http._cache_store import CacheStore, MemoryCacheStore
from paca.http._cache_validation import conditional_headers, freshen, invalidation_targets
from paca.http._exchange import OutgoingRequest, RawResponse
from paca.http._freshness import (
    CACHEABLE_METHODS,
    ERROR_STATUSES,
    HEURISTIC_CAP,
    Action,
    CacheEntry,
    evaluate,
    make_entry,
    stale_if_error_allowed,
    why_not_storable,
)
from paca.resilience import Clock, MonotonicClock

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    Origin = Callable[[OutgoingRequest], Awaitable[RawResponse]]

__all__ = ["ResponseCache"]

_log = logging.getLogger("paca.http.cache")
_STATUSES = ("hit", "miss", "revalidated", "stale", "bypass")

#: What a flight resolves to: the response, its status, and its Vary names and digest.
_Outcome = tuple[RawResponse, str, tuple[str, ...], str]


class ResponseCache(GuardedStore):
    """An HTTP response cache (RFC 9111, private) with single-flight origin calls.

    Args:
        store: Where entries live (default: a 64 MiB :class:`MemoryCacheStore`).
        clock: Time source for every age (default: the monotonic clock).
        policy: The default :class:`CachePolicy` when :meth:`fetch` gets none.
        max_body_bytes: Largest body stored (default 10 MiB; a policy may lower or raise it).
        heuristic_cap: Longest heuristic freshness (10 % of the Last-Modified age).
        keep_stale: How long a stale entry with validators is kept for revalidation.

    Example:
        >>> cache = ResponseCache()
        >>> cache.stats().hits
        0
    """

    def __init__(
        self,
        store: CacheStore | None = None,
        *,
        clock: Clock | None = None,
        policy: CachePolicy | None = None,
        max_body_bytes: int = 10 * 1024 * 1024,
        heuristic_cap: float = HEURISTIC_CAP,
        keep_stale: float = 86_400.0,
    ) -> None:
        if max_body_bytes < 0 or heuristic_cap < 0 or keep_stale < 0:
            msg = "max_body_bytes, heuristic_cap and keep_stale must be >= 0"
            raise ValueError(msg)
        self._store: CacheStore = store if store is not None else MemoryCacheStore()
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._policy = policy if policy is not None else CachePolicy()
        self._max_body = max_body_bytes
        self._heuristic_cap = heuristic_cap
        self._keep_stale = keep_stale
        self._flights: SingleFlight[_Outcome] = SingleFlight()
        self._background: dict[str, asyncio.Task[None]] = {}
        self._counts = dict.fromkeys((*_STATUSES, "coalesced", "stores", "store_errors"), 0)

    @property
    def store(self) -> CacheStore:
        """The store this cache uses."""
        return self._store

    async def fetch(
        self,
        request: OutgoingRequest,
        origin: Origin,
        policy: CachePolicy | None = None,
    ) -> tuple[RawResponse, str]:
        """Answer ``request`` from the cache or through ``origin``.

        Args:
            request: The request; never mutated (revalidation sends a copy).
            origin: Performs the real call; returns a response or raises.
            policy: Overrides the cache's default policy for this request.

        Returns:
            The response and how it was obtained: ``"hit"``, ``"miss"``, ``"revalidated"``,
            ``"stale"`` or ``"bypass"``.
        """
        response, status = await self._fetch(request, origin, policy or self._policy)
        self._counts[status] += 1
        return response, status

    async def _fetch(
        self, request: OutgoingRequest, origin: Origin, policy: CachePolicy
    ) -> tuple[RawResponse, str]:
        method = request.method.upper()
        if method not in CACHEABLE_METHODS:
            response = await origin(request)
            for url in invalidation_targets(
                method, full_url(request), response.status, response.headers
            ):
                await self._invalidate(url, policy.partition)
            return response, "bypass"
        headers = request.headers
        request_cc = request_cache_control(headers)
        authenticated = policy.authenticated or "Authorization" in headers
        if (
            request_cc.no_store
            or (authenticated and not policy.store_authenticated)
            or any(name in headers for name in BYPASS_FIELDS)
        ):
            return await origin(request), "bypass"
        primary = primary_key(method, request.url, request.params, policy.partition)
        now = self._clock.now()
        entry, names = await self._lookup(primary, headers, now)
        if entry is not None:
            action = evaluate(entry, request_cc, now).action
            if action is Action.FRESH:
                return self._serve(entry, request), "hit"
            if action is Action.STALE:
                return self._serve(entry, request), "stale"
            if action is Action.STALE_WHILE_REVALIDATE:
                self._refresh_in_background(primary, request, origin, policy, entry)
                return self._serve(entry, request), "stale"
        elif request_cc.only_if_cached:
            return RawResponse.build(504, {}, b"", full_url(request), "Gateway Timeout"), "miss"
        response, status, _, _ = await self._join(
            primary, names, request, origin, policy, entry, request_cc
        )
        return response, status

    @staticmethod
    def _serve(entry: CacheEntry, request: OutgoingRequest) -> RawResponse:
        return entry.response if not entry.query_from_request else with_query(entry, request)

    async def _join(
        self,
        primary: str,
        names: tuple[str, ...],
        request: OutgoingRequest,
        origin: Origin,
        policy: CachePolicy,
        entry: CacheEntry | None,
        request_cc: CacheControl,
        *,
        follower_check: bool = True,
    ) -> _Outcome:
        """Run the origin call for this key, or wait for the identical one in flight."""
        key = f"{primary}:{vary_digest(names, request.headers)}"
        outcome, leader = await self._flights.run(
            key, partial(self._refresh, primary, request, origin, policy, entry, request_cc)
        )
        if leader:
            return outcome
        self._counts["coalesced"] += 1
        _, _, vary, digest = outcome
        if follower_check and vary and vary_digest(vary, request.headers) != digest:
            # The response we waited for varies on request fields this request does not share.
            return await self._refresh(primary, request, origin, policy, None, request_cc)
        return outcome

    async def _refresh(
        self,
        primary: str,
        request: OutgoingRequest,
        origin: Origin,
        policy: CachePolicy,
        entry: CacheEntry | None,
        request_cc: CacheControl,
    ) -> _Outcome:
        """One origin call: revalidate ``entry`` (or fetch anew), store, fall back to stale."""
        validators = conditional_headers(entry) if entry is not None else []
        send = copy_request(request, validators) if validators else request
        request_time = self._clock.now()
        try:
            response = await origin(send)
        except Exception:
            if entry is not None and stale_if_error_allowed(
                entry, request_cc, self._clock.now(), policy.stale_if_error
            ):
                _log.info("origin failed; serving a stale response (stale-if-error)")
                return self._serve(entry, request), "stale", entry.vary_names, entry.vary_digest
            raise
        response_time = self._clock.now()
        if (
            entry is not None
            and response.status in ERROR_STATUSES
            and stale_if_error_allowed(entry, request_cc, response_time, policy.stale_if_error)
        ):
            return self._serve(entry, request), "stale", entry.vary_names, entry.vary_digest
        if entry is not None and validators and response.status == 304:
            fresh = freshen(
                entry,
                response,
                request_time=request_time,
                response_time=response_time,
                heuristic_cap=self._heuristic_cap,
            )
            if fresh is not None:
                await self._put(primary, fresh, policy)
                return (
                    self._serve(fresh, request),
                    "revalidated",
                    fresh.vary_names,
                    fresh.vary_digest,
                )
            request_time = self._clock.now()  # not our representation: ask without conditions
            response = await origin(request)
            response_time = self._clock.now()
        return await self._store_miss(
            primary, request, response, policy, request_time, response_time
        )

    async def _store_miss(
        self,
        primary: str,
        request: OutgoingRequest,
        response: RawResponse,
        policy: CachePolicy,
        request_time: float,
        response_time: float,
    ) -> _Outcome:
        max_body = policy.max_body_bytes if policy.max_body_bytes is not None else self._max_body
        reason = why_not_storable(
            request.method,
            response.status,
            request_cache_control(request.headers),
            response.headers,
            authenticated=policy.authenticated or "Authorization" in request.headers,
            store_authenticated=policy.store_authenticated,
            ttl_override=policy.ttl,
            body_size=len(response.body),
            max_body_bytes=max_body,
        )
        if reason is not None:
            _log.debug("response not stored: %s", reason)
            return response, "miss", (), ""
        entry = make_entry(
            strip_query(response),
            request.headers,
            request_time=request_time,
            response_time=response_time,
            ttl_override=policy.ttl,
            query_from_request=same_resource(response, request),
            heuristic_cap=self._heuristic_cap,
        )
        await self._put(primary, entry, policy)
        return response, "miss", entry.vary_names, entry.vary_digest

    def _refresh_in_background(
        self,
        primary: str,
        request: OutgoingRequest,
        origin: Origin,
        policy: CachePolicy,
        entry: CacheEntry,
    ) -> None:
        key = f"{primary}:{entry.vary_digest}"
        if key in self._background or key in self._flights:
            return
        copy = copy_request(request)

        async def refresh() -> None:
            try:
                await self._join(
                    primary,
                    entry.vary_names,
                    copy,
                    origin,
                    policy,
                    entry,
                    EMPTY_CACHE_CONTROL,
                    follower_check=False,
                )
            except Exception:
                _log.info("background revalidation failed", exc_info=True)

        task = asyncio.ensure_future(refresh())
        self._background[key] = task
        task.add_done_callback(lambda t: self._background.pop(key, None))

    async def invalidate(self, url: str) -> None:
        """Forget the stored ``GET`` and ``HEAD`` responses of ``url`` (query included)."""
        await self._invalidate(url, None)

    async def clear(self) -> None:
        """Forget every stored response (the whole store)."""
        await self._store.clear()

    def stats(self) -> CacheStats:
        """Return a snapshot of the counters (and the store's evictions and size)."""
        c = self._counts
        return CacheStats(
            hits=c["hit"],
            misses=c["miss"],
            revalidations=c["revalidated"],
            stale=c["stale"],
            bypasses=c["bypass"],
            coalesced=c["coalesced"],
            stores=c["stores"],
            evictions=self._store.evictions,
            store_errors=c["store_errors"],
            bytes=self._store.size_bytes,
        )

    async def aclose(self) -> None:
        """Cancel background refreshes and origin calls still in flight, and wait for them."""
        tasks: list[asyncio.Task[Any]] = [*self._background.values(), *self._flights.tasks()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._background.clear()
        self._flights.clear()

    async def __aenter__(self) -> ResponseCache:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"ResponseCache(store={self._store!r})"
