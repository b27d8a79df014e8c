"""Demo step: ``paca-resilience`` breaker, limiter, retry and pipeline, on a fake clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.integrations._demo._expect import expect
from paca.resilience import (
    BreakerState,
    CircuitBreaker,
    FakeClock,
    Pipeline,
    RateLimiter,
    RetryPolicy,
)
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["run"]


class _FlakyService:
    """An in-process stand-in for a remote API that fails its first ``failures`` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> Result[str]:
        self.calls += 1
        if self.calls <= self.failures:
            return Result.fail("503 from upstream", ErrorKind.UNAVAILABLE)
        return Result.ok("pong")


async def run(say: Callable[[str], None]) -> None:
    """Open a breaker, ride out a rate limit, recover with a retry, then compose all three."""
    clock = FakeClock()  # a 30-second scenario runs in microseconds

    down = _FlakyService(failures=10**9)
    breaker = CircuitBreaker(
        "billing-api", clock=clock, window_size=10, minimum_calls=4, open_duration=30.0,
        half_open_permits=1,
    )  # fmt: skip
    outcomes = [await breaker.execute(down) for _ in range(6)]
    rejected = outcomes[-1]
    say(f"breaker after 4 failures: {breaker.state.value}; next call: {rejected!r}")
    expect(breaker.state is BreakerState.OPEN, "the breaker opens at a 100 % failure rate")
    expect(rejected.kind is ErrorKind.CIRCUIT_OPEN, "an open breaker rejects without calling")
    expect(down.calls == 4, "rejected calls never reach the service")
    await clock.advance(30.0)
    down.failures = 0
    probe = await breaker.execute(down)
    say(f"30 s later the probe gets {probe.data!r}; breaker is {breaker.state.value}")
    expect(breaker.state is BreakerState.CLOSED, "a successful probe closes the breaker")

    limiter = RateLimiter(5, per=1.0, clock=clock)
    admitted = sum(limiter.try_acquire_sync("tenant-42").allowed for _ in range(8))
    last = limiter.try_acquire_sync("tenant-42")
    say(f"limiter 5/s: {admitted} of 8 admitted; next retry_after={last.retry_after:.3f} s")
    expect(admitted == 5, "a 5/s token bucket admits its burst of 5")

    flaky = _FlakyService(failures=2)
    retry = RetryPolicy(attempts=4, base_delay=0.0005, max_delay=0.002)
    recovered = await retry.execute(flaky)
    say(f"retry: {recovered!r} after {flaky.calls} attempts")
    expect(recovered.is_success and flaky.calls == 3, "retry recovers a transient 503")

    pipeline = Pipeline([retry, CircuitBreaker("search-api"), RateLimiter(100)])
    composed = await pipeline.execute(_FlakyService(failures=1))
    say(f"pipeline (limiter -> breaker -> retry): {composed!r}")
    expect(composed.is_success, "the composed pipeline recovers too")
