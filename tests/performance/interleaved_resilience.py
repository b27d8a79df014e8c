"""Per-call overhead of paca-resilience beside its peers, interleaved, as medians of runs.

Run from the repository root (the peers come from the ``bench`` hatch environment)::

    hatch run bench:python tests/performance/interleaved_resilience.py
    python tests/performance/interleaved_resilience.py --calls 200000 --runs 7

Each run times every case once, in a rotated order (so a burst of load on a shared machine
hits different cases in different runs), ``--calls`` calls per case in one event loop; the
table gives the median over the runs of the time per call and of the time added over the
case's baseline: a bare ``await f()`` (``async def f(): return 1``) for awaited cases, a bare
call for synchronous ones.

The ``client-shaped`` group runs the resilience layers as ``paca-http``'s client composes
them (retry, limiter, per-host breaker with a ``record_result`` predicate, in one
``Pipeline``), from 64 concurrent tasks whose call suspends twice, like an I/O call; its
baseline is the same call without the layers.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

from paca.resilience import (
    BreakerConfig,
    Bulkhead,
    CircuitBreaker,
    Pipeline,
    RateLimiter,
    RetryPolicy,
    Timeout,
)
from paca.result import Result

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

HUGE = 1e12
CONCURRENCY = 64


async def f() -> int:
    """The awaited call of the baselines."""
    return 1


async def io_call() -> int:
    """A call that suspends twice, as an I/O call does."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return 1


def nothing() -> None:
    """The bare synchronous call."""


def awaited(step: Callable[[], Awaitable[Any]]) -> Callable[[int], Awaitable[None]]:
    """A batch awaiting ``step()`` ``calls`` times in a row."""

    async def batch(calls: int) -> None:
        for _ in range(calls):
            await step()

    return batch


def synchronous(step: Callable[[], object]) -> Callable[[int], Awaitable[None]]:
    """A batch calling ``step()`` ``calls`` times in a row (inside the loop)."""

    async def batch(calls: int) -> None:
        for _ in range(calls):
            step()

    return batch


def concurrent(step: Callable[[], Awaitable[Any]]) -> Callable[[int], Awaitable[None]]:
    """A batch of ``calls`` awaits of ``step()`` shared by ``CONCURRENCY`` tasks."""

    async def worker(calls: int) -> None:
        for _ in range(calls):
            await step()

    async def batch(calls: int) -> None:
        share = max(1, calls // CONCURRENCY)
        await asyncio.gather(*(worker(share) for _ in range(CONCURRENCY)))

    return batch


def counts_as_failure(value: object) -> bool:
    """A ``record_result`` predicate shaped like paca-http's."""
    if not isinstance(value, Result) or value.is_success:
        return False
    return value.meta.get("status", 500) >= 500


def cases(  # noqa: PLR0915 - one flat list of cases reads best
    loop: asyncio.AbstractEventLoop,
) -> dict[str, tuple[str, str, Callable[[int], Any]]]:
    """Return ``{name: (group, baseline name, batch)}``."""
    out: dict[str, tuple[str, str, Callable[[int], Any]]] = {}

    def add(group: str, name: str, baseline: str, batch: Callable[[int], Any]) -> None:
        out[name] = (group, baseline, batch)

    add("await", "bare await", "bare await", awaited(f))
    add("sync", "bare call", "bare call", synchronous(nothing))

    # -- breaker -----------------------------------------------------------------------------
    breaker = CircuitBreaker("bench")
    add("breaker", "paca breaker call", "bare await", awaited(lambda: breaker.call(f)))

    async def with_breaker() -> None:
        async with breaker:
            await f()

    add("breaker", "paca breaker async with", "bare await", awaited(with_breaker))
    add("breaker", "paca breaker execute", "bare await", awaited(lambda: breaker.execute(f)))
    timed = CircuitBreaker("bench-time", window_type="time", window_size=60, slow_call_duration=5)
    add("breaker", "paca breaker call, time window", "bare await", awaited(lambda: timed.call(f)))
    try:
        from purgatory import AsyncCircuitBreakerFactory

        purgatory = loop.run_until_complete(AsyncCircuitBreakerFactory().get_breaker("bench"))

        async def with_purgatory() -> None:
            async with purgatory:
                await f()

        add("breaker", "purgatory async with", "bare await", awaited(with_purgatory))
    except ImportError:
        pass
    try:
        import aiobreaker

        aio = aiobreaker.CircuitBreaker()
        add("breaker", "aiobreaker call_async", "bare await", awaited(lambda: aio.call_async(f)))
    except ImportError:
        pass
    try:
        import pybreaker

        py = pybreaker.CircuitBreaker()
        add("breaker", "pybreaker call", "bare await", awaited(lambda: py.call(f)))
    except ImportError:
        pass

    # -- limiter -----------------------------------------------------------------------------
    for algorithm in ("token_bucket", "gcra"):
        limiter = RateLimiter(HUGE, 1.0, algorithm=algorithm, burst=HUGE)
        limiter.try_acquire_sync("key")
        add(
            "limiter",
            f"paca try_acquire_sync {algorithm}",
            "bare call",
            synchronous(lambda limiter=limiter: limiter.try_acquire_sync("key")),
        )
        add(
            "limiter",
            f"paca await acquire {algorithm}",
            "bare await",
            awaited(lambda limiter=limiter: limiter.acquire("key")),
        )
    try:
        import aiolimiter

        peer = aiolimiter.AsyncLimiter(HUGE, 1.0)
        add("limiter", "aiolimiter has_capacity", "bare call", synchronous(peer.has_capacity))
        add("limiter", "aiolimiter await acquire", "bare await", awaited(peer.acquire))
    except ImportError:
        pass
    try:
        import limits
        import limits.storage
        import limits.strategies

        item = limits.RateLimitItemPerSecond(10**9)
        for strategy in ("FixedWindowRateLimiter", "SlidingWindowCounterRateLimiter"):
            hit = getattr(limits.strategies, strategy)(limits.storage.MemoryStorage()).hit
            add(
                "limiter",
                f"limits {strategy}.hit",
                "bare call",
                synchronous(lambda hit=hit: hit(item, "key")),
            )
    except ImportError:
        pass

    # -- retry -------------------------------------------------------------------------------
    retry = RetryPolicy(attempts=3)
    add("retry", "paca retry call", "bare await", awaited(lambda: retry.call(f)))
    add("retry", "paca retry execute", "bare await", awaited(lambda: retry.execute(f)))
    try:
        import tenacity

        decorated = tenacity.retry(stop=tenacity.stop_after_attempt(3), reraise=True)(f)
        add("retry", "tenacity @retry", "bare await", awaited(decorated))
    except ImportError:
        pass

    # -- pipeline ----------------------------------------------------------------------------
    five = Pipeline(
        [
            Timeout(30),
            RateLimiter(HUGE, burst=HUGE),
            Bulkhead(100),
            CircuitBreaker("bench-pipeline"),
            RetryPolicy(attempts=3),
        ]
    )
    add("pipeline", "five-step pipeline call", "bare await", awaited(lambda: five.call(f)))
    add("pipeline", "five-step pipeline execute", "bare await", awaited(lambda: five.execute(f)))

    # -- shaped like paca-http's client at concurrency 64 ------------------------------------
    config = BreakerConfig(record_result=counts_as_failure)
    shaped = Pipeline(
        [
            RetryPolicy(attempts=3, max_retry_after=60.0),
            RateLimiter(HUGE, per=1.0),
            CircuitBreaker("bench-client", config),
        ],
        limiter_key="127.0.0.1:80",
    )
    add("client-shaped", "c64 bare", "c64 bare", concurrent(io_call))
    add(
        "client-shaped",
        "c64 pipeline (retry, limiter, breaker)",
        "c64 bare",
        concurrent(lambda: shaped.call(io_call)),
    )
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="calls per case per run")
    parser.add_argument("--runs", type=int, default=5, help="runs (the median is reported)")
    parser.add_argument("-k", default="", help="only cases whose group or name contains this")
    args = parser.parse_args(argv)
    loop = asyncio.new_event_loop()
    try:
        table = cases(loop)
        wanted = {
            name
            for name, (group, baseline, _) in table.items()
            if args.k in name or args.k in group or name == baseline
        }
        wanted |= {table[name][1] for name in wanted}
        names = [name for name in table if name in wanted]
        per_call: dict[str, list[float]] = {name: [] for name in names}
        for name in names:  # warm-up: fills windows, builds caches
            loop.run_until_complete(table[name][2](1000))
        for run in range(args.runs):
            shift = run % len(names)
            for name in names[shift:] + names[:shift]:
                calls = args.calls // 10 if "tenacity" in name else args.calls
                started = time.perf_counter()
                loop.run_until_complete(table[name][2](calls))
                per_call[name].append((time.perf_counter() - started) / calls * 1e6)
    finally:
        loop.close()
    print(f"{args.runs} runs of {args.calls:,} calls per case; medians, in µs per call")
    current = None
    for name in names:
        group, baseline, _ = table[name]
        if group != current:
            current = group
            print(f"\n{group}")
            print(f"  {'case':<44} {'per call':>9} {'added':>9}")
        median = statistics.median(per_call[name])
        added = statistics.median(
            a - b for a, b in zip(per_call[name], per_call[baseline], strict=True)
        )
        print(f"  {name:<44} {median:9.3f} {added:+9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
