"""Per-call overhead of RetryPolicy and a five-step Pipeline against a bare await and tenacity.

Run: ``pytest tests/performance/test_bench_retry_pipeline.py --benchmark-only``.
Each round awaits ``BATCH`` calls in one event loop; divide the round time
by ``BATCH`` (``extra_info["per_call_us"]``) and subtract the bare baseline
for the added cost. Goals: retry success path <= 1 us added, five-step
pipeline <= 3 us added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import tenacity

from paca.resilience._bulkhead import Bulkhead
from paca.resilience._pipeline import Pipeline
from paca.resilience._retry import RetryPolicy
from paca.resilience._timeout import Timeout
from paca.result import Result

if TYPE_CHECKING:
    from collections.abc import Callable

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
