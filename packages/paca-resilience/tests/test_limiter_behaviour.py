"""RateLimiter behaviour, the same tests on MemoryStore and RedisStore (real server).

With Redis the clock is Redis ``TIME``, so these tests use slow rates (units per
hour) for which the little real time a test takes changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from paca.resilience._clock import FakeClock
from paca.resilience._errors import RateLimitedError
from paca.resilience._limiter import RateLimiter
from paca.resilience._limiter_events import (
    RateLimiterEvent,
    RateLimitHeadersAdopted,
    RateLimitRejected,
)
from paca.resilience._store import MemoryStore, RedisStore, Store

HOUR = 3600.0
ALGORITHMS = ["token_bucket", "gcra", "sliding_window", "fixed_window"]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "memory":
        return MemoryStore()
    redis_store: RedisStore = request.getfixturevalue("redis_store")
    return redis_store


def make(store: Store, algorithm: str = "token_bucket", **options: Any) -> RateLimiter:
    options.setdefault("clock", FakeClock())
    rate = options.pop("rate", 3)
    return RateLimiter(rate, HOUR, algorithm=algorithm, store=store, **options)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_admits_the_budget_then_denies_with_retry_after(store: Store, algorithm: str) -> None:
    limiter = make(store, algorithm)
    decisions = [await limiter.try_acquire("k") for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    denied = await limiter.try_acquire("k")
    assert not denied.allowed
    assert denied.remaining == 0
    assert denied.retry_after is not None
    if algorithm in ("token_bucket", "gcra"):
        assert denied.retry_after == pytest.approx(HOUR / 3, rel=1e-3)
    else:
        assert 0 < denied.retry_after <= HOUR * 2


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_keys_are_independent_and_costs_weigh(store: Store, algorithm: str) -> None:
    limiter = make(store, algorithm, rate=5)
    assert (await limiter.try_acquire("a", cost=4)).remaining == 1
    assert not (await limiter.try_acquire("a", cost=2)).allowed
    assert (await limiter.try_acquire("a", cost=1)).remaining == 0
    assert (await limiter.try_acquire("b", cost=5)).allowed


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_cost_out_of_range_raises_naming_cost(store: Store, algorithm: str) -> None:
    limiter = make(store, algorithm, rate=5)
    for cost in (0, -1, 6, float("nan")):
        with pytest.raises(ValueError, match="cost"):
            await limiter.try_acquire("k", cost=cost)
        with pytest.raises(ValueError, match="cost"):
            await limiter.acquire("k", cost=cost)


async def test_rejection_events_and_a_raising_listener(store: Store) -> None:
    limiter = make(store, rate=1, name="api")
    events: list[RateLimiterEvent] = []

    def broken(event: RateLimiterEvent) -> None:
        raise RuntimeError(event)

    limiter.add_listener(broken)
    remove = limiter.add_listener(events.append)
    assert (await limiter.try_acquire("k")).allowed
    assert not (await limiter.try_acquire("k", cost=1)).allowed
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, RateLimitRejected)
    assert (event.limiter, event.key, event.cost, event.reason) == ("api", "k", 1, "limit")
    remove()
    await limiter.try_acquire("k")
    assert len(events) == 1


async def test_acquire_gives_up_at_once_when_the_wait_exceeds_timeout(store: Store) -> None:
    clock = FakeClock()
    limiter = make(store, rate=1, clock=clock)
    await limiter.try_acquire("k")
    denied = await limiter.acquire("k", timeout=60)
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(HOUR, rel=1e-3)
    assert clock.sleepers == 0
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire_or_raise("k", timeout=0)
    assert caught.value.retry_after == pytest.approx(HOUR, rel=1e-3)
    assert (await limiter.acquire_or_raise("other")).allowed


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "30"},
        {"RateLimit": "limit=3, remaining=0, reset=30"},
        {"RateLimit": '"default";r=0;t=30', "RateLimit-Policy": '"default";q=3;w=3600'},
        {"RateLimit-Limit": "3", "RateLimit-Remaining": "0", "RateLimit-Reset": "30"},
        {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"},
        {
            "Date": "Tue, 14 Nov 2023 22:13:20 GMT",
            "Retry-After": "Tue, 14 Nov 2023 22:13:50 GMT",
        },
        {
            "Date": "Tue, 14 Nov 2023 22:13:20 GMT",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "1700000030",
        },
    ],
    ids=[
        "retry-after",
        "ratelimit-dict",
        "ratelimit-list",
        "ratelimit-fields",
        "x-ratelimit",
        "retry-after-date",
        "x-ratelimit-epoch",
    ],
)
async def test_server_headers_block_the_key(store: Store, headers: dict[str, str]) -> None:
    limiter = make(store, rate=3)
    events: list[RateLimiterEvent] = []
    limiter.add_listener(events.append)
    info = await limiter.update_from_headers(headers, key="k")
    assert info.block_for == pytest.approx(30)
    denied = await limiter.try_acquire("k")
    assert not denied.allowed
    assert denied.retry_after is not None
    assert 29 < denied.retry_after <= 30
    assert (await limiter.try_acquire("other")).allowed
    adopted = [e for e in events if isinstance(e, RateLimitHeadersAdopted)]
    assert len(adopted) == 1
    assert adopted[0].blocked_for == pytest.approx(30)
    rejected = [e for e in events if isinstance(e, RateLimitRejected)]
    assert [e.reason for e in rejected] == ["blocked"]


async def test_headers_with_budget_left_change_nothing(store: Store) -> None:
    limiter = make(store, rate=3)
    info = await limiter.update_from_headers(
        {"X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "9"}
    )
    assert (info.remaining, info.block_for) == (7, None)
    assert (await limiter.try_acquire()).allowed


async def test_a_longer_block_is_never_shortened(store: Store) -> None:
    limiter = make(store)
    await limiter.block("k", 100)
    await limiter.block("k", 10)
    denied = await limiter.try_acquire("k")
    assert denied.retry_after is not None
    assert 99 < denied.retry_after <= 100
