"""Per-call overhead of RetryPolicy and a five-step Pipeline against a bare await and tenacity.

Run: ``pytest tests/performance/test_bench_retry_pipeline.py --benchmark-only``.
Each round awaits ``BATCH`` calls in one event loop; divide the round time
by ``BATCH`` (``extra_info["per_call_us"]``) and subtract the bare baseline
for the added cost. Goals: retry success path <= 1 us added, five-step
pipeline <= 3 us added.

The ``pipeline-client-shaped-c64`` group runs the layers as paca-http's client
composes them (retry, limiter, breaker with a ``record_result`` predicate) from
64 tasks whose call suspends twice, as an I/O call does: each suspension resumes
every coroutine frame of the pipeline, so this is where its depth shows.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
import tenacity

from paca.resilience._bulkhead import Bulkhead
from paca.resilience._pipeline import Pipeline
from paca.resilience._retry import RetryPolicy
from paca.resilience._timeout import Timeout
from paca.result import Result

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunBatches = Callable[..., None]  # the ``run`` fixture of conftest.py: run(batch, calls)

try:
    from paca.resilience._breaker import CircuitBreaker
    from paca.resilience._limiter import RateLimiter

    REAL_COMPONENTS = True
except ImportError:  # pragma: no cover - only while those modules are being written
    REAL_COMPONENTS = False

BATCH = 10_000


async def f() -> int:
    return 1


# -- retry -------------------------------------------------------------------------------


@pytest.mark.benchmark(group="retry-success-path")
def test_bare_await_baseline(run: RunBatches) -> None:
    async def batch() -> None:
        for _ in range(BATCH):
            await f()

    run(batch, BATCH)


@pytest.mark.benchmark(group="retry-success-path")
def test_bare_await_plus_result_ok(run: RunBatches) -> None:
    """What building the returned Result alone costs (execute's floor)."""
    meta = {"attempts": 1}

    async def batch() -> None:
        for _ in range(BATCH):
            Result.ok(await f(), meta=meta)

    run(batch, BATCH)


@pytest.mark.benchmark(group="retry-success-path")
def test_ours_retry_call(run: RunBatches) -> None:
    policy = RetryPolicy(attempts=3)
    call = policy.call

    async def batch() -> None:
        for _ in range(BATCH):
            await call(f)

    run(batch, BATCH)


@pytest.mark.benchmark(group="retry-success-path")
def test_ours_retry_execute(run: RunBatches) -> None:
    policy = RetryPolicy(attempts=3)
    execute = policy.execute

    async def batch() -> None:
        for _ in range(BATCH):
            await execute(f)

    run(batch, BATCH)


@pytest.mark.benchmark(group="retry-success-path")
def test_tenacity_async_for(run: RunBatches) -> None:
    retrying = tenacity.AsyncRetrying(stop=tenacity.stop_after_attempt(3), reraise=True)

    async def batch() -> None:
        for _ in range(BATCH):
            async for attempt in retrying:
                with attempt:
                    await f()

    run(batch, BATCH)


@pytest.mark.benchmark(group="retry-success-path")
def test_tenacity_decorator(run: RunBatches) -> None:
    @tenacity.retry(stop=tenacity.stop_after_attempt(3), reraise=True)
    async def g() -> int:
        return 1

    async def batch() -> None:
        for _ in range(BATCH):
            await g()

    run(batch, BATCH)


# -- five-step pipeline ------------------------------------------------------------------


def five_step_pipeline() -> Pipeline:
    components: list[object] = [Timeout(30), Bulkhead(100), RetryPolicy(attempts=3)]
    if REAL_COMPONENTS:
        components.append(CircuitBreaker("bench"))
        components.append(RateLimiter(1e12, burst=1e12))
    else:  # pragma: no cover
        pytest.skip("CircuitBreaker/RateLimiter not available")
    return Pipeline(components)


@pytest.mark.benchmark(group="pipeline-success-path")
def test_pipeline_bare_await_baseline(run: RunBatches) -> None:
    test_bare_await_baseline(run)


@pytest.mark.benchmark(group="pipeline-success-path")
def test_pipeline_five_steps_call(run: RunBatches) -> None:
    call = five_step_pipeline().call

    async def batch() -> None:
        for _ in range(BATCH):
            await call(f)

    run(batch, BATCH)


@pytest.mark.benchmark(group="pipeline-success-path")
def test_pipeline_five_steps_execute(run: RunBatches) -> None:
    execute = five_step_pipeline().execute

    async def batch() -> None:
        for _ in range(BATCH):
            await execute(f)

    run(batch, BATCH)


@pytest.mark.benchmark(group="pipeline-success-path")
def test_pipeline_timeout_only(run: RunBatches) -> None:
    call = Pipeline([Timeout(30)]).call

    async def batch() -> None:
        for _ in range(BATCH):
            await call(f)

    run(batch, BATCH)


# -- shaped like paca-http's client: 64 tasks, calls that suspend ------------------------

CONCURRENCY = 64


async def io_call() -> int:
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return 1


def counts_as_failure(value: object) -> bool:
    """A ``record_result`` predicate shaped like paca-http's."""
    return isinstance(value, Result) and not value.is_success


def concurrently(call: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    async def worker() -> None:
        for _ in range(BATCH // CONCURRENCY):
            await call()

    async def batch() -> None:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    return batch


@pytest.mark.benchmark(group="pipeline-client-shaped-c64")
def test_client_shaped_bare_baseline(run: RunBatches) -> None:
    run(concurrently(io_call), BATCH // CONCURRENCY * CONCURRENCY)


@pytest.mark.benchmark(group="pipeline-client-shaped-c64")
def test_client_shaped_pipeline(run: RunBatches) -> None:
    if not REAL_COMPONENTS:  # pragma: no cover
        pytest.skip("CircuitBreaker/RateLimiter not available")
    pipeline = Pipeline(
        [
            RetryPolicy(attempts=3, max_retry_after=60.0),
            RateLimiter(1e12, per=1.0),
            CircuitBreaker("bench-client", record_result=counts_as_failure),
        ],
        limiter_key="127.0.0.1:80",
    )
    call = pipeline.call
    run(concurrently(lambda: call(io_call)), BATCH // CONCURRENCY * CONCURRENCY)
