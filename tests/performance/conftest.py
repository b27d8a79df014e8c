"""Fixtures shared by the benchmarks of tests/performance (read by ``tools/bench``).

A benchmark that runs N calls per round sets ``benchmark.extra_info["calls"] = N``
(the :func:`run` fixture does it) and the baseline of a group has ``baseline``
in its name, so ``tools/bench`` can print the time per call and the overhead.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    RunBatches = Callable[[Callable[[], Awaitable[None]], int], None]

ROUNDS = 30


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop, closed afterwards."""
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


@pytest.fixture
def run(benchmark: Any, loop: asyncio.AbstractEventLoop) -> RunBatches:
    """Return ``run(batch, calls)``: time ``batch()`` (``calls`` awaits) in ``loop``.

    One warm-up round first (it also fills a breaker's window), then
    ``ROUNDS`` timed rounds; ``extra_info`` gets ``calls`` (and ``batch``, the
    same number) and ``per_call_us`` (the median round divided by ``calls``).
    """

    def run_batches(batch: Callable[[], Awaitable[None]], calls: int) -> None:
        loop.run_until_complete(batch())  # warm-up
        benchmark.pedantic(lambda: loop.run_until_complete(batch()), rounds=ROUNDS, iterations=1)
        benchmark.extra_info["calls"] = calls
        benchmark.extra_info["batch"] = calls
        benchmark.extra_info["per_call_us"] = round(benchmark.stats.stats.median / calls * 1e6, 3)

    return run_batches
