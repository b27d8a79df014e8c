"""Pipeline with the package's real CircuitBreaker and RateLimiter (in memory, fake clock)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from paca.resilience._bulkhead import Bulkhead
from paca.resilience._clock import FakeClock
from paca.resilience._errors import CircuitOpenError, RateLimitedError
from paca.resilience._pipeline import Pipeline
from paca.resilience._retry import RetryPolicy
from paca.resilience._timeout import Timeout
from paca.result import ErrorKind

breaker_module = pytest.importorskip("paca.resilience._breaker")
limiter_module = pytest.importorskip("paca.resilience._limiter")
CircuitBreaker: Any = breaker_module.CircuitBreaker
RateLimiter: Any = limiter_module.RateLimiter


def five_steps(clock: FakeClock, **breaker_options: Any) -> tuple[Pipeline, Any, Any]:
    breaker = CircuitBreaker("api", clock=clock, **breaker_options)
    limiter = RateLimiter(2, per=1.0, clock=clock)
    pipeline = Pipeline(
        [
            RetryPolicy(attempts=2, backoff="none", clock=clock, rng=random.Random(1)),
            breaker,
            Bulkhead(4, clock=clock),
            limiter,
            Timeout(10, clock=clock),
        ],
        limiter_timeout=0,
    )
    return pipeline, breaker, limiter


async def test_real_components_are_recognised_in_canonical_order() -> None:
    pipeline, breaker, limiter = five_steps(FakeClock())
    assert pipeline.order == ("timeout", "limiter", "bulkhead", "breaker", "retry")
    assert pipeline.components[1] is limiter
    assert pipeline.components[3] is breaker


async def test_real_limiter_rejection_with_retry_after() -> None:
    clock = FakeClock()
    pipeline, _, _ = five_steps(clock)

    async def ok() -> str:
        return "ok"

    assert await pipeline.call(ok) == "ok"
    assert await pipeline.call(ok) == "ok"
    with pytest.raises(RateLimitedError) as caught:
        await pipeline.call(ok)
    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 0
    result = await pipeline.execute(ok)
    assert result.kind is ErrorKind.RATE_LIMITED
    await clock.advance(1)
    assert (await pipeline.execute(ok)).data == "ok"


async def test_real_breaker_opens_and_execute_reports_it() -> None:
    clock = FakeClock()
    _pipeline, breaker, _ = five_steps(clock, consecutive_failures=2, open_duration=30)
    relaxed = Pipeline(
        [breaker, RetryPolicy(attempts=1, clock=clock)]
    )  # no limiter: only the breaker decides

    async def down() -> None:
        raise ConnectionError("down")

    for _ in range(2):
        assert (await relaxed.execute(down)).kind is ErrorKind.CONNECTION
    result = await relaxed.execute(down)
    assert result.kind is ErrorKind.CIRCUIT_OPEN
    with pytest.raises(CircuitOpenError):
        await relaxed.call(down)


async def test_retry_inside_real_breaker_counts_one_outcome() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("inner", clock=clock, consecutive_failures=2)
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts % 3:
            raise ConnectionError("blip")
        return "ok"

    pipeline = Pipeline([RetryPolicy(attempts=3, backoff="none", clock=clock), breaker])
    for _ in range(3):  # 6 failed attempts in all, yet never 2 failed *calls* in a row
        assert await pipeline.call(flaky) == "ok"
    assert attempts == 9
    assert str(breaker.state.value) == "closed"


async def test_cancellation_through_the_real_chain() -> None:
    clock = FakeClock()
    pipeline, _, _ = five_steps(clock)
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.ensure_future(pipeline.execute(hang))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
