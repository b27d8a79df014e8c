"""RateLimiter.admit_now: the pipeline's coroutine-free fast path decides like try_acquire."""

import asyncio

import pytest

from paca.resilience import FakeClock, Pipeline, RateLimitedError, RateLimiter


async def test_admits_and_consumes_like_try_acquire() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, per=1.0, clock=clock)
    assert limiter.admit_now("k", 1) is False  # unknown key: acquire() creates its state
    assert (await limiter.acquire("k")).allowed
    assert limiter.admit_now("k", 1) is True
    assert limiter.admit_now("k", 1) is False  # budget spent: no event, acquire() decides
    assert not limiter.try_acquire_sync("k").allowed
    await clock.advance(0.5)
    assert limiter.admit_now("k", 1) is True


async def test_never_jumps_a_queue_of_waiters() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, per=1.0, clock=clock)
    assert (await limiter.acquire("k", 2)).allowed
    waiter = asyncio.create_task(limiter.acquire("k", 2))  # needs the whole budget back
    await asyncio.sleep(0)
    await clock.advance(0.5)  # one unit is back: enough for cost 1, not for the waiter
    assert not waiter.done()
    assert limiter.admit_now("k", 1) is False  # the queued waiter goes first
    await clock.advance(0.5)
    assert (await waiter).allowed


def test_pipeline_checks_the_cost_once_at_construction() -> None:
    with pytest.raises(ValueError, match="limiter_cost"):
        Pipeline([RateLimiter(5, per=1.0)], limiter_cost=6)


async def test_pipeline_still_rejects_through_acquire_when_the_fast_path_says_no() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, per=60.0, clock=clock)
    pipeline = Pipeline([limiter], limiter_timeout=0)

    async def f() -> int:
        return 1

    assert await pipeline.call(f) == 1
    with pytest.raises(RateLimitedError) as info:
        await pipeline.call(f)
    assert info.value.retry_after == pytest.approx(60.0)
