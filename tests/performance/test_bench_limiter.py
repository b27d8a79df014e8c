"""RateLimiter decisions beside aiolimiter and limits, in one run.

Run: ``pytest tests/performance/test_bench_limiter.py --benchmark-only``
(each round makes ``BATCH`` decisions: divide the times by ``BATCH`` for one decision).

Groups:

* ``admit``: every decision is admitted (the hot path), on an existing key;
* ``mixed``: the same limit for all, 1,000 per second: a round admits about
  1,000 and denies the rest;
* ``async``: awaited decisions inside one event loop.

aiolimiter's ``has_capacity`` only checks (it consumes nothing); its
``acquire`` consumes. limits' ``hit`` consumes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from paca.resilience._limiter import RateLimiter

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Coroutine

aiolimiter = pytest.importorskip("aiolimiter")
limits = pytest.importorskip("limits")
limits_storage = pytest.importorskip("limits.storage")
limits_strategies = pytest.importorskip("limits.strategies")

BATCH = 10_000
HUGE = 10**9
ALGORITHMS = ["token_bucket", "gcra", "sliding_window", "fixed_window"]


@pytest.fixture(autouse=True)
def _benchmark_only(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("benchmark_only", default=False):
        pytest.skip("benchmarks run only with --benchmark-only")


@pytest.fixture(autouse=True)
def _calls_per_round(benchmark: Any) -> None:
    benchmark.extra_info["calls"] = BATCH  # every round makes BATCH decisions


def ours(algorithm: str, rate: int) -> RateLimiter:
    burst = {"burst": 100} if algorithm in ("token_bucket", "gcra") else {}
    limiter = RateLimiter(rate, 1.0, algorithm=algorithm, **burst)  # type: ignore[arg-type]
    limiter.try_acquire_sync("key")  # an existing key
    return limiter


def batch(decide: Callable[..., Any], *args: Any) -> Callable[[], None]:
    def run() -> None:
        for _ in range(BATCH):
            decide(*args)

    return run


def limits_hit(strategy: str, per_second: int) -> Callable[[], None]:
    storage = limits_storage.MemoryStorage()
    limiter = getattr(limits_strategies, strategy)(storage)
    item = limits.RateLimitItemPerSecond(per_second)
    limiter.hit(item, "key")
    return batch(limiter.hit, item, "key")


LIMITS_STRATEGIES = ["FixedWindowRateLimiter", "SlidingWindowCounterRateLimiter"]


def nothing() -> None:
    """The bare call of the synchronous baselines."""


async def nothing_awaited() -> None:
    """The bare await of the asynchronous baseline."""


# --- admit: the hot path ---------------------------------------------------------------------


@pytest.mark.benchmark(group="admit")
def test_bare_call_baseline_admit(benchmark: Any) -> None:
    benchmark(batch(nothing))


@pytest.mark.benchmark(group="admit")
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_paca_try_acquire_sync_admit(benchmark: Any, algorithm: str) -> None:
    limiter = ours(algorithm, HUGE)
    benchmark(batch(limiter.try_acquire_sync, "key"))
    assert limiter.try_acquire_sync("key").allowed


@pytest.mark.benchmark(group="admit")
def test_aiolimiter_has_capacity_admit(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    limiter = aiolimiter.AsyncLimiter(HUGE, 1.0)
    run = batch(limiter.has_capacity)  # synchronous, but it needs a running loop

    async def in_loop() -> None:
        run()

    benchmark(lambda: loop.run_until_complete(in_loop()))


@pytest.mark.benchmark(group="admit")
@pytest.mark.parametrize("strategy", LIMITS_STRATEGIES)
def test_limits_hit_admit(benchmark: Any, strategy: str) -> None:
    benchmark(limits_hit(strategy, HUGE))


# --- mixed: the same limit for everyone (1,000 per second) ----------------------------------


@pytest.mark.benchmark(group="mixed")
def test_bare_call_baseline_mixed(benchmark: Any) -> None:
    benchmark(batch(nothing))


@pytest.mark.benchmark(group="mixed")
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_paca_try_acquire_sync_mixed(benchmark: Any, algorithm: str) -> None:
    limiter = ours(algorithm, 1000)
    benchmark(batch(limiter.try_acquire_sync, "key"))


@pytest.mark.benchmark(group="mixed")
@pytest.mark.parametrize("strategy", [*LIMITS_STRATEGIES, "MovingWindowRateLimiter"])
def test_limits_hit_mixed(benchmark: Any, strategy: str) -> None:
    benchmark(limits_hit(strategy, 1000))


# --- async: awaited decisions ---------------------------------------------------------------


def awaited(
    loop: asyncio.AbstractEventLoop, step: Callable[[], Coroutine[Any, Any, Any]]
) -> Callable[[], None]:
    async def many() -> None:
        for _ in range(BATCH):
            await step()

    return lambda: loop.run_until_complete(many())


@pytest.mark.benchmark(group="async")
def test_bare_await_baseline_async(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    benchmark(awaited(loop, nothing_awaited))


@pytest.mark.benchmark(group="async")
@pytest.mark.parametrize("algorithm", ["token_bucket", "gcra"])
def test_paca_try_acquire_async(
    benchmark: Any, loop: asyncio.AbstractEventLoop, algorithm: str
) -> None:
    limiter = ours(algorithm, HUGE)
    benchmark(awaited(loop, limiter.try_acquire))


@pytest.mark.benchmark(group="async")
@pytest.mark.parametrize("algorithm", ["token_bucket", "gcra"])
def test_paca_acquire_async(
    benchmark: Any, loop: asyncio.AbstractEventLoop, algorithm: str
) -> None:
    limiter = ours(algorithm, HUGE)
    benchmark(awaited(loop, limiter.acquire))


@pytest.mark.benchmark(group="async")
def test_aiolimiter_acquire_async(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    limiter = aiolimiter.AsyncLimiter(HUGE, 1.0)
    benchmark(awaited(loop, limiter.acquire))
