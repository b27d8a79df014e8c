"""Per-call overhead of a closed CircuitBreaker against a bare await and peer libraries.

Run: ``pytest tests/performance/test_bench_breaker.py --benchmark-only``.
Each round awaits ``BATCH`` calls in one event loop; ``extra_info["per_call_us"]``
is the round time divided by ``BATCH``; subtract the bare baseline for the
added cost. Goal: ``call`` and ``async with`` add <= 0.4 us per call.

Peers, each in its natural async form with the breaker object reused:
purgatory (``async with`` on a breaker from ``AsyncCircuitBreakerFactory``),
aiobreaker (``await breaker.call_async(f)``) and pybreaker, which has no
native asyncio support (its ``call_async`` needs tornado): ``await
breaker.call(f)`` measures its bookkeeping around creating the coroutine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from paca.resilience._breaker import CircuitBreaker

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    RunBatches = Callable[..., None]  # the ``run`` fixture of conftest.py: run(batch, calls)

try:
    import aiobreaker
except ImportError:  # pragma: no cover - peer not installed
    aiobreaker = None
try:
    import pybreaker
except ImportError:  # pragma: no cover
    pybreaker = None
try:
    from purgatory import AsyncCircuitBreakerFactory
except ImportError:  # pragma: no cover
    AsyncCircuitBreakerFactory = None

BATCH = 10_000


async def f() -> int:
    return 1


def test_bare_await_baseline(run: RunBatches) -> None:
    async def batch() -> None:
        for _ in range(BATCH):
            await f()

    run(batch, BATCH)


def test_paca_breaker_call(run: RunBatches) -> None:
    call = CircuitBreaker("bench").call

    async def batch() -> None:
        for _ in range(BATCH):
            await call(f)

    run(batch, BATCH)


def test_paca_breaker_async_with(run: RunBatches) -> None:
    breaker = CircuitBreaker("bench")

    async def batch() -> None:
        for _ in range(BATCH):
            async with breaker:
                await f()

    run(batch, BATCH)


def test_paca_breaker_execute(run: RunBatches) -> None:
    execute = CircuitBreaker("bench").execute

    async def batch() -> None:
        for _ in range(BATCH):
            await execute(f)

    run(batch, BATCH)


def test_paca_breaker_call_time_window(run: RunBatches) -> None:
    call = CircuitBreaker("bench", window_type="time", window_size=60, slow_call_duration=5.0).call

    async def batch() -> None:
        for _ in range(BATCH):
            await call(f)

    run(batch, BATCH)


def test_purgatory_async_with(run: RunBatches, loop: asyncio.AbstractEventLoop) -> None:
    if AsyncCircuitBreakerFactory is None:
        pytest.skip("purgatory is not installed")
    breaker = loop.run_until_complete(AsyncCircuitBreakerFactory().get_breaker("bench"))

    async def batch() -> None:
        for _ in range(BATCH):
            async with breaker:
                await f()

    run(batch, BATCH)


def test_aiobreaker_call_async(run: RunBatches) -> None:
    if aiobreaker is None:
        pytest.skip("aiobreaker is not installed")
    call_async = aiobreaker.CircuitBreaker().call_async

    async def batch() -> None:
        for _ in range(BATCH):
            await call_async(f)

    run(batch, BATCH)


def test_pybreaker_call(run: RunBatches) -> None:
    if pybreaker is None:
        pytest.skip("pybreaker is not installed")
    call = pybreaker.CircuitBreaker().call

    async def batch() -> None:
        for _ in range(BATCH):
            await call(f)

    run(batch, BATCH)
