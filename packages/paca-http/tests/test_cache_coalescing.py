"""Single-flight: identical concurrent misses make one origin call, whatever happens to it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from paca.http._cache import ResponseCache
from paca.resilience import FakeClock

if TYPE_CHECKING:
    from paca.http._exchange import OutgoingRequest, RawResponse


async def test_100_concurrent_misses_make_one_origin_call(fakes: Any) -> None:
    cache = ResponseCache(clock=FakeClock())
    origin = fakes.Origin()
    origin.gate = asyncio.Event()
    tasks = [asyncio.ensure_future(cache.fetch(fakes.get(), origin)) for _ in range(100)]
    await fakes.settle()
    assert origin.calls == 1
    origin.gate.set()
    results = await asyncio.gather(*tasks)
    assert {(r.body, s) for r, s in results} == {(b"v1", "miss")}
    assert origin.calls == 1
    stats = cache.stats()
    assert (stats.misses, stats.coalesced, stats.stores) == (100, 99, 1)
    assert (await cache.fetch(fakes.get(), origin))[1] == "hit"
    await cache.aclose()


async def test_uncacheable_responses_are_still_shared_by_concurrent_callers(fakes: Any) -> None:
    cache = ResponseCache(clock=FakeClock())
    origin = fakes.Origin(lambda r: fakes.ok({"Cache-Control": "no-store"}))
    origin.gate = asyncio.Event()
    tasks = [asyncio.ensure_future(cache.fetch(fakes.get(), origin)) for _ in range(10)]
    await fakes.settle()
    origin.gate.set()
    await asyncio.gather(*tasks)
    assert origin.calls == 1
    assert (await cache.fetch(fakes.get(), origin))[1] == "miss"  # but nothing was stored
    assert origin.calls == 2


async def test_different_keys_are_not_coalesced(fakes: Any) -> None:
    cache = ResponseCache(clock=FakeClock())
    origin = fakes.Origin()
    await asyncio.gather(*(cache.fetch(fakes.get(f"{fakes.URL}/{i}"), origin) for i in range(5)))
    assert origin.calls == 5


async def test_a_failure_reaches_every_waiter(fakes: Any) -> None:
    cache = ResponseCache(clock=FakeClock())

    def boom(_: OutgoingRequest) -> RawResponse:
        raise ConnectionError("down")

    origin = fakes.Origin(boom)
    origin.gate = asyncio.Event()
    tasks = [asyncio.ensure_future(cache.fetch(fakes.get(), origin)) for _ in range(10)]
    await fakes.settle()
    origin.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert origin.calls == 1
    origin.reply = lambda r: fakes.ok({"Cache-Control": "max-age=5"})
    assert (await cache.fetch(fakes.get(), origin))[1] == "miss"  # the failed flight is gone
    assert origin.calls == 2


async def test_cancelling_the_leader_does_not_strand_the_followers(fakes: Any) -> None:
    cache = ResponseCache(clock=FakeClock())
    origin = fakes.Origin()
    origin.gate = asyncio.Event()
    leader = asyncio.ensure_future(cache.fetch(fakes.get(), origin))
    await fakes.settle()
    followers = [asyncio.ensure_future(cache.fetch(fakes.get(), origin)) for _ in range(5)]
    await fakes.settle()
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    origin.gate.set()
    results = await asyncio.gather(*followers)
    assert {(r.body, s) for r, s in results} == {(b"v1", "miss")}
    assert origin.calls == 1
    assert (await cache.fetch(fakes.get(), origin))[1] == "hit"


async def test_when_every_waiter_leaves_the_origin_call_is_cancelled(fakes: Any) -> None:
    cache = ResponseCache(clock=FakeClock())
    origin = fakes.Origin()
    origin.gate = asyncio.Event()
    waiters = [asyncio.ensure_future(cache.fetch(fakes.get(), origin)) for _ in range(3)]
    await fakes.settle()
    for w in waiters:
        w.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    await fakes.settle()
    assert not cache._flights
    origin.gate.set()
    response, status = await cache.fetch(fakes.get(), origin)  # a new flight, not the cancelled one
    assert (status, origin.calls) == ("miss", 2)
    assert response.body == b"v1"


async def test_a_follower_whose_vary_headers_differ_fetches_its_own(fakes: Any) -> None:
    cache = ResponseCache(clock=FakeClock())
    origin = fakes.Origin(
        lambda r: fakes.ok(
            {"Vary": "Accept", "Cache-Control": "max-age=60"}, r.headers["Accept"].encode()
        )
    )
    origin.gate = asyncio.Event()
    json = asyncio.ensure_future(cache.fetch(fakes.get(headers={"Accept": "json"}), origin))
    html = asyncio.ensure_future(cache.fetch(fakes.get(headers={"Accept": "html"}), origin))
    same = asyncio.ensure_future(cache.fetch(fakes.get(headers={"Accept": "json"}), origin))
    await fakes.settle()
    origin.gate.set()
    results = await asyncio.gather(json, html, same)
    assert [r.body for r, _ in results] == [b"json", b"html", b"json"]
    assert origin.calls == 2


async def test_aclose_cancels_flights_and_background_refreshes(fakes: Any) -> None:
    clock = FakeClock()
    cache = ResponseCache(clock=clock)
    origin = fakes.Origin(
        lambda r: fakes.ok({"Cache-Control": "max-age=1, stale-while-revalidate=60"})
    )
    await cache.fetch(fakes.get(), origin)
    await clock.advance(2)
    origin.gate = asyncio.Event()
    assert (await cache.fetch(fakes.get(), origin))[1] == "stale"
    pending = asyncio.ensure_future(cache.fetch(fakes.get(f"{fakes.URL}/other"), origin))
    await fakes.settle()
    assert cache._background
    assert cache._flights
    await cache.aclose()
    assert not cache._background
    assert not cache._flights
    with pytest.raises(asyncio.CancelledError):
        await pending
