"""ResponseCache with a fake origin (counted calls) and a FakeClock: no network, no sleeps."""

from __future__ import annotations

import asyncio
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import pytest

from paca.http._cache import ResponseCache
from paca.http._cache_policy import CachePolicy, CacheStats
from paca.http._cache_store import MemoryCacheStore
from paca.resilience import FakeClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from paca.http._exchange import OutgoingRequest, RawResponse
    from paca.http._freshness import CacheEntry


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def cache(clock: FakeClock) -> AsyncIterator[ResponseCache]:
    c = ResponseCache(clock=clock)
    yield c
    await c.aclose()


async def test_miss_then_hit_then_expiry(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    origin = fakes.Origin()
    assert (await cache.fetch(fakes.get(), origin))[1] == "miss"
    response, status = await cache.fetch(fakes.get(), origin)
    assert (status, response.body, origin.calls) == ("hit", b"v1", 1)
    await clock.advance(59)
    assert (await cache.fetch(fakes.get(), origin))[1] == "hit"
    await clock.advance(1)
    assert (await cache.fetch(fakes.get(), origin))[
        1
    ] == "miss"  # stale, no validators: fetched anew
    assert origin.calls == 2
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.stores) == (2, 2, 2)
    assert stats.bytes is not None
    assert stats.bytes > 0


async def test_query_order_shares_an_entry_and_the_url_keeps_its_query(
    cache: ResponseCache,
    fakes: Any,
) -> None:
    origin = fakes.Origin(
        lambda r: fakes.ok({"Cache-Control": "max-age=60"}, url=f"{fakes.URL}?b=2&a=1")
    )
    await cache.fetch(fakes.get(params=[("b", "2"), ("a", "1")]), origin)
    response, status = await cache.fetch(fakes.get(params=[("a", "1"), ("b", "2")]), origin)
    assert status == "hit"
    assert response.url == f"{fakes.URL}?a=1&b=2"  # the caller's query, in the caller's order
    assert (await cache.fetch(fakes.get(params=[("a", "2")]), origin))[1] == "miss"


async def test_stored_urls_never_keep_a_query(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin(
        lambda r: fakes.ok({"Cache-Control": "max-age=60"}, url=f"{fakes.URL}?q=1&api_key=SECRET")
    )
    first, _ = await cache.fetch(fakes.get(params=[("q", "1")]), origin)
    assert "SECRET" in first.url  # the origin's own answer is returned as it came
    second, status = await cache.fetch(fakes.get(params=[("q", "1")]), origin)
    assert (status, second.url) == ("hit", f"{fakes.URL}?q=1")
    redirected = fakes.Origin(
        lambda r: fakes.ok({"Cache-Control": "max-age=60"}, url=f"{fakes.URL}/moved?token=T")
    )
    await cache.fetch(fakes.get(f"{fakes.URL}/old", params=[("q", "1")]), redirected)
    moved, status = await cache.fetch(
        fakes.get(f"{fakes.URL}/old", params=[("q", "1")]), redirected
    )
    assert (status, moved.url) == ("hit", f"{fakes.URL}/moved")
    store = cache.store
    assert isinstance(store, MemoryCacheStore)
    for key in list(store.keys()):
        for entry in await store.get(key, 0.0):
            assert "?" not in entry.response.url


async def test_head_and_get_are_separate(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin()
    await cache.fetch(fakes.get(), origin)
    assert (await cache.fetch(fakes.get(method="HEAD"), origin))[1] == "miss"
    assert (await cache.fetch(fakes.get(method="HEAD"), origin))[1] == "hit"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_other_methods_bypass(cache: ResponseCache, method: str, fakes: Any) -> None:
    origin = fakes.Origin()
    assert (await cache.fetch(fakes.get(method=method), origin))[1] == "bypass"
    assert (await cache.fetch(fakes.get(method=method), origin))[1] == "bypass"
    assert origin.calls == 2
    assert cache.stats().bypasses == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Cache-Control": "no-store"},
        {"Range": "bytes=0-10"},
        {"If-None-Match": '"x"'},
        {"Authorization": "Bearer t"},
    ],
)
async def test_requests_the_cache_does_not_handle(
    cache: ResponseCache, headers: dict[str, str], fakes: Any
) -> None:
    origin = fakes.Origin()
    await cache.fetch(fakes.get(), origin)  # stored
    assert (await cache.fetch(fakes.get(headers=headers), origin))[1] == "bypass"
    assert origin.calls == 2


async def test_response_no_store_is_not_stored(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "no-store, max-age=60"}))
    for _ in range(2):
        assert (await cache.fetch(fakes.get(), origin))[1] == "miss"
    assert origin.calls == 2
    assert cache.stats().stores == 0


async def test_etag_revalidation_with_304(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    def reply(request: OutgoingRequest) -> RawResponse:
        if request.headers.get("If-None-Match") == '"v1"':
            return fakes.ok(
                {"ETag": '"v1"', "Cache-Control": "max-age=100", "X-Fresh": "yes"}, b"", 304
            )
        return fakes.ok({"ETag": '"v1"', "Cache-Control": "max-age=10"})

    origin = fakes.Origin(reply)
    caller = fakes.get(headers={"Accept": "application/json"})
    await cache.fetch(caller, origin)
    await clock.advance(10)
    response, status = await cache.fetch(caller, origin)
    assert status == "revalidated"
    assert (response.status, response.body, response.headers["X-Fresh"]) == (200, b"v1", "yes")
    assert origin.requests[1].headers["If-None-Match"] == '"v1"'
    assert "If-None-Match" not in caller.headers  # the caller's request is not mutated
    await clock.advance(99)
    assert (await cache.fetch(caller, origin))[1] == "hit"  # freshened to max-age=100
    assert cache.stats().revalidations == 1


async def test_last_modified_revalidation(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    modified = formatdate(1_600_000_000, usegmt=True)

    def reply(request: OutgoingRequest) -> RawResponse:
        if request.headers.get("If-Modified-Since") == modified:
            return fakes.ok({}, b"", 304)
        return fakes.ok({"Last-Modified": modified, "Cache-Control": "no-cache"})

    origin = fakes.Origin(reply)
    await cache.fetch(fakes.get(), origin)
    assert (await cache.fetch(fakes.get(), origin))[1] == "revalidated"  # no-cache: every time
    assert (await cache.fetch(fakes.get(), origin))[1] == "revalidated"
    assert origin.calls == 3


async def test_304_for_another_representation_refetches(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    bodies = iter([b"v1", b"v2"])

    def reply(request: OutgoingRequest) -> RawResponse:
        if "If-None-Match" in request.headers:
            return fakes.ok({"ETag": '"other"'}, b"", 304)
        return fakes.ok({"ETag": '"v1"', "Cache-Control": "max-age=1"}, next(bodies))

    origin = fakes.Origin(reply)
    await cache.fetch(fakes.get(), origin)
    await clock.advance(5)
    response, status = await cache.fetch(fakes.get(), origin)
    assert (status, response.body, origin.calls) == ("miss", b"v2", 3)
    assert "If-None-Match" not in origin.requests[2].headers


async def test_200_on_revalidation_replaces_the_entry(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    versions = iter(['"v1"', '"v2"'])
    origin = fakes.Origin(
        lambda r: fakes.ok({"ETag": next(versions), "Cache-Control": "max-age=1"})
    )
    await cache.fetch(fakes.get(), origin)
    await clock.advance(2)
    response, status = await cache.fetch(fakes.get(), origin)
    assert (status, response.headers["ETag"]) == ("miss", '"v2"')
    assert (await cache.fetch(fakes.get(), origin))[0].headers["ETag"] == '"v2"'


async def test_must_revalidate_never_serves_stale(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    origin = fakes.Origin(
        lambda r: fakes.ok({"Cache-Control": "max-age=5, must-revalidate, stale-if-error=60"})
    )
    await cache.fetch(fakes.get(), origin)
    await clock.advance(6)
    origin.reply = lambda r: fakes.ok({}, b"down", 503)
    response, status = await cache.fetch(
        fakes.get(headers={"Cache-Control": "max-stale=100"}), origin
    )
    assert (status, response.status) == ("miss", 503)


async def test_expires_header(cache: ResponseCache, clock: FakeClock, fakes: Any) -> None:
    now = 1_700_000_000
    headers = {"Date": formatdate(now, usegmt=True), "Expires": formatdate(now + 30, usegmt=True)}
    origin = fakes.Origin(lambda r: fakes.ok(headers))
    await cache.fetch(fakes.get(), origin)
    await clock.advance(29)
    assert (await cache.fetch(fakes.get(), origin))[1] == "hit"
    await clock.advance(1)
    assert (await cache.fetch(fakes.get(), origin))[1] == "miss"


async def test_vary_keeps_one_variant_per_header_value(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin(
        lambda r: fakes.ok(
            {"Vary": "Accept", "Cache-Control": "max-age=60"}, r.headers["Accept"].encode()
        )
    )
    json, html = fakes.get(headers={"Accept": "json"}), fakes.get(headers={"Accept": "html"})
    assert (await cache.fetch(json, origin))[1] == "miss"
    assert (await cache.fetch(html, origin))[1] == "miss"
    assert (await cache.fetch(json, origin))[0].body == b"json"
    assert (await cache.fetch(html, origin))[0].body == b"html"
    assert (await cache.fetch(fakes.get(headers={"accept": "json"}), origin))[1] == "hit"
    assert origin.calls == 2


async def test_vary_star_is_never_stored(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin(lambda r: fakes.ok({"Vary": "*", "Cache-Control": "max-age=60"}))
    await cache.fetch(fakes.get(), origin)
    assert (await cache.fetch(fakes.get(), origin))[1] == "miss"


async def test_stale_while_revalidate_refreshes_once_in_the_background(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    bodies = iter([b"v1", b"v2"])
    origin = fakes.Origin(
        lambda r: fakes.ok({"Cache-Control": "max-age=10, stale-while-revalidate=60"}, next(bodies))
    )
    await cache.fetch(fakes.get(), origin)
    await clock.advance(15)
    origin.gate = asyncio.Event()
    results = [await cache.fetch(fakes.get(), origin) for _ in range(5)]
    assert {(r.body, s) for r, s in results} == {(b"v1", "stale")}
    await fakes.settle()
    assert origin.calls == 2  # one background refresh for the five stale answers
    origin.gate.set()
    await fakes.settle()
    response, status = await cache.fetch(fakes.get(), origin)
    assert (response.body, status) == (b"v2", "hit")
    assert cache.stats().stale == 5


async def test_stale_if_error_on_exception_and_5xx(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "max-age=10, stale-if-error=100"}))
    await cache.fetch(fakes.get(), origin)
    await clock.advance(20)

    def boom(_: OutgoingRequest) -> RawResponse:
        raise ConnectionError("origin down")

    origin.reply = boom
    assert (await cache.fetch(fakes.get(), origin))[1] == "stale"
    origin.reply = lambda r: fakes.ok({}, b"err", 502)
    response, status = await cache.fetch(fakes.get(), origin)
    assert (status, response.body) == ("stale", b"v1")
    origin.reply = lambda r: fakes.ok({}, b"err", 404)  # not an error stale-if-error covers
    assert (await cache.fetch(fakes.get(), origin))[0].status == 404
    await clock.advance(100)  # past the window
    origin.reply = boom
    with pytest.raises(ConnectionError):
        await cache.fetch(fakes.get(), origin)


async def test_policy_stale_if_error(cache: ResponseCache, clock: FakeClock, fakes: Any) -> None:
    policy = CachePolicy(stale_if_error=300.0)
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "max-age=10"}))
    await cache.fetch(fakes.get(), origin, policy)
    await clock.advance(200)
    origin.reply = lambda r: fakes.ok({}, b"", 503)
    assert (await cache.fetch(fakes.get(), origin, policy))[1] == "stale"
    assert (await cache.fetch(fakes.get(), origin))[1] == "miss"  # without the policy: the 503


async def test_unsafe_methods_invalidate(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin()
    item = f"{fakes.URL}/7"
    await cache.fetch(fakes.get(), origin)
    await cache.fetch(fakes.get(item), origin)
    await cache.fetch(fakes.get(method="HEAD"), origin)
    origin.reply = lambda r: fakes.ok({"Location": "/items/7"}, b"", 201)
    assert (await cache.fetch(fakes.get(method="POST", body=b"{}"), origin))[1] == "bypass"
    for request in (fakes.get(), fakes.get(item), fakes.get(method="HEAD")):
        assert (await cache.fetch(request, origin))[1] == "miss"


async def test_failed_unsafe_request_does_not_invalidate(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin()
    await cache.fetch(fakes.get(), origin)
    origin.reply = lambda r: fakes.ok({}, b"", 500)
    await cache.fetch(fakes.get(method="DELETE"), origin)
    assert (await cache.fetch(fakes.get(), origin))[1] == "hit"


async def test_invalidate_and_clear(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin()
    await cache.fetch(fakes.get(params=[("q", "1")]), origin)
    await cache.fetch(fakes.get(f"{fakes.URL}/2"), origin)
    await cache.invalidate(f"{fakes.URL}?q=1")
    assert (await cache.fetch(fakes.get(params=[("q", "1")]), origin))[1] == "miss"
    await cache.clear()
    assert (await cache.fetch(fakes.get(f"{fakes.URL}/2"), origin))[1] == "miss"


async def test_ttl_override_ignores_origin_headers(
    cache: ResponseCache, clock: FakeClock, fakes: Any
) -> None:
    policy = CachePolicy(ttl=30.0)
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "no-store, no-cache"}))
    await cache.fetch(fakes.get(), origin, policy)
    await clock.advance(29)
    assert (await cache.fetch(fakes.get(), origin, policy))[1] == "hit"
    await clock.advance(1)
    assert (await cache.fetch(fakes.get(), origin, policy))[1] == "miss"


async def test_ttl_override_does_not_store_errors(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin(lambda r: fakes.ok({}, b"", 503))
    await cache.fetch(fakes.get(), origin, CachePolicy(ttl=30.0))
    assert (await cache.fetch(fakes.get(), origin, CachePolicy(ttl=30.0)))[1] == "miss"


async def test_authenticated_requests_are_not_stored_unless_allowed(
    cache: ResponseCache, fakes: Any
) -> None:
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "public, max-age=60"}))
    authed = CachePolicy(authenticated=True)
    assert (await cache.fetch(fakes.get(), origin, authed))[1] == "bypass"
    assert (await cache.fetch(fakes.get(), origin, authed))[1] == "bypass"
    assert cache.stats().stores == 0
    allowed = CachePolicy(authenticated=True, store_authenticated=True, partition="key-1")
    await cache.fetch(fakes.get(), origin, allowed)
    assert (await cache.fetch(fakes.get(), origin, allowed))[1] == "hit"
    other = CachePolicy(authenticated=True, store_authenticated=True, partition="key-2")
    assert (await cache.fetch(fakes.get(), origin, other))[1] == "miss"


async def test_set_cookie_is_never_stored_for_authenticated_requests(
    cache: ResponseCache, fakes: Any
) -> None:
    origin = fakes.Origin(
        lambda r: fakes.ok({"Cache-Control": "max-age=60", "Set-Cookie": "sid=1"})
    )
    policy = CachePolicy(store_authenticated=True)
    request = fakes.get(headers={"Authorization": "Bearer secret"})
    await cache.fetch(request, origin, policy)
    assert (await cache.fetch(request, origin, policy))[1] == "miss"


async def test_max_body_size(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "max-age=60"}, b"x" * 100))
    policy = CachePolicy(max_body_bytes=99)
    await cache.fetch(fakes.get(), origin, policy)
    assert (await cache.fetch(fakes.get(), origin, policy))[1] == "miss"
    small = ResponseCache(max_body_bytes=10)
    await small.fetch(fakes.get(), origin)
    assert (await small.fetch(fakes.get(), origin))[1] == "miss"


async def test_only_if_cached_gives_504_on_a_miss(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin()
    response, _ = await cache.fetch(fakes.get(headers={"Cache-Control": "only-if-cached"}), origin)
    assert (response.status, origin.calls) == (504, 0)


async def test_pragma_no_cache_revalidates(cache: ResponseCache, fakes: Any) -> None:
    origin = fakes.Origin()
    await cache.fetch(fakes.get(), origin)
    assert (await cache.fetch(fakes.get(headers={"Pragma": "no-cache"}), origin))[1] == "miss"


async def test_lru_eviction_by_bytes(clock: FakeClock, fakes: Any) -> None:
    store = MemoryCacheStore(max_bytes=3000)
    cache = ResponseCache(store, clock=clock)
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "max-age=60"}, b"x" * 900))
    for i in range(3):
        await cache.fetch(fakes.get(f"{fakes.URL}/{i}"), origin)
    assert len(store) == 2  # three ~1.2 kB entries do not fit in 3 kB
    assert (await cache.fetch(fakes.get(f"{fakes.URL}/1"), origin))[
        1
    ] == "hit"  # 1 is now most recent
    await cache.fetch(fakes.get(f"{fakes.URL}/3"), origin)  # evicts 2, the least recently used
    assert (await cache.fetch(fakes.get(f"{fakes.URL}/1"), origin))[1] == "hit"
    assert (await cache.fetch(fakes.get(f"{fakes.URL}/2"), origin))[1] == "miss"
    stats = cache.stats()
    assert stats.evictions >= 2
    assert stats.bytes is not None
    assert stats.bytes <= 3000
    keys = store.keys()
    assert keys
    assert all(len(k) == 64 and "api.test" not in k for k in keys)


async def test_memory_store_refuses_an_entry_larger_than_capacity(
    clock: FakeClock, fakes: Any
) -> None:
    store = MemoryCacheStore(max_bytes=500)
    cache = ResponseCache(store, clock=clock)
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "max-age=60"}, b"x" * 600))
    await cache.fetch(fakes.get(), origin)
    assert (len(store), cache.stats().stores, store.size_bytes) == (0, 0, 0)


async def test_memory_store_expires_entries(clock: FakeClock, fakes: Any) -> None:
    store = MemoryCacheStore(max_entries=10)
    cache = ResponseCache(store, clock=clock, keep_stale=50.0)
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "max-age=10", "ETag": '"e"'}))
    await cache.fetch(fakes.get(), origin)
    await clock.advance(59)
    assert len(await store.get(next(iter(store.keys())), clock.now())) == 1
    await clock.advance(1)
    assert await store.get(next(iter(store.keys())), clock.now()) == []
    assert (len(store), store.size_bytes) == (0, 0)


def test_store_and_policy_validation() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        MemoryCacheStore(0)
    with pytest.raises(ValueError, match="max_entries"):
        MemoryCacheStore(max_entries=0)
    with pytest.raises(ValueError, match="ttl"):
        CachePolicy(ttl=-1)
    with pytest.raises(ValueError, match="stale_if_error"):
        CachePolicy(stale_if_error=float("nan"))
    with pytest.raises(ValueError, match="max_body_bytes"):
        CachePolicy(max_body_bytes=-1)
    with pytest.raises(ValueError, match="keep_stale"):
        ResponseCache(keep_stale=-1)


class BrokenStore(MemoryCacheStore):
    async def get(self, primary: str, now: float) -> list[CacheEntry]:
        raise ConnectionError("store down")

    async def put(self, primary: str, entry: CacheEntry, ttl: float, now: float) -> bool:
        raise ConnectionError("store down")

    async def delete(self, primary: str) -> None:
        raise ConnectionError("store down")


async def test_a_failing_store_never_fails_a_request(clock: FakeClock, fakes: Any) -> None:
    cache = ResponseCache(BrokenStore(), clock=clock)
    origin = fakes.Origin()
    assert (await cache.fetch(fakes.get(), origin))[1] == "miss"
    assert (await cache.fetch(fakes.get(method="DELETE"), origin))[1] == "bypass"
    assert cache.stats().store_errors == 4  # a read, a write, and the GET and HEAD deletes


async def test_stats_start_at_zero() -> None:
    assert ResponseCache().stats() == CacheStats()
