"""FIFO waiting in memory: order, timeouts, cancellation, no leaked budget, 10,000 waiters."""

from __future__ import annotations

import asyncio

import pytest

from paca.resilience._clock import FakeClock
from paca.resilience._limiter import RateLimiter
from paca.resilience._limiter_algorithms import Decision
from paca.resilience._limiter_events import RateLimiterEvent, RateLimitRejected
from paca.resilience._limiter_waiters import WaiterQueues


def one_per_second(clock: FakeClock, **options: object) -> RateLimiter:
    return RateLimiter(1, 1.0, burst=1, clock=clock, **options)  # type: ignore[arg-type]


async def start(
    limiter: RateLimiter, name: str, done: list[str], **kwargs: object
) -> asyncio.Task[Decision]:
    async def run() -> Decision:
        decision = await limiter.acquire("k", **kwargs)  # type: ignore[arg-type]
        if decision.allowed:
            done.append(name)
        return decision

    task = asyncio.ensure_future(run())
    await asyncio.sleep(0)  # let it join the queue
    return task


async def test_waiters_are_admitted_one_per_release_in_fifo_order() -> None:
    clock = FakeClock()
    limiter = one_per_second(clock)
    assert (await limiter.acquire("k")).allowed
    done: list[str] = []
    tasks = [await start(limiter, name, done) for name in "abcde"]
    assert limiter.try_acquire_sync("k").allowed is False  # no barging past the queue
    for expected in ("a", "ab", "abc", "abcd", "abcde"):
        await clock.advance(1.0)
        assert "".join(done) == expected
    assert all(t.result().allowed for t in tasks)
    assert not limiter._waiting  # the queue and its pump are gone


async def test_a_costly_head_is_not_overtaken() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 1.0, burst=3, clock=clock)
    await limiter.acquire("k", cost=3)
    done: list[str] = []
    await start(limiter, "big", done, cost=3)
    await start(limiter, "small", done, cost=1)
    await clock.advance(2.0)
    assert done == []
    await clock.advance(1.0)
    assert done == ["big"]
    await clock.advance(1.0)
    assert done == ["big", "small"]


async def test_timed_out_waiters_leave_without_breaking_order_or_leaking() -> None:
    clock = FakeClock()
    limiter = one_per_second(clock)
    events: list[RateLimiterEvent] = []
    limiter.add_listener(events.append)
    await limiter.acquire("k")
    done: list[str] = []
    first = await start(limiter, "first", done)
    head = await start(limiter, "head", done, timeout=1.5)  # the head from t=1, gone at 1.5
    c = await start(limiter, "c", done, timeout=100)
    d = await start(limiter, "d", done)
    await clock.advance(1.0)
    assert done == ["first"]
    await clock.advance(0.5)
    timed_out = head.result()
    assert not timed_out.allowed
    assert timed_out.retry_after == pytest.approx(0.5)
    await clock.advance(0.5)
    assert done == ["first", "c"]
    await clock.advance(1.0)
    assert done == ["first", "c", "d"]
    assert first.result().allowed
    assert c.result().allowed
    assert d.result().allowed
    assert [e.reason for e in events if isinstance(e, RateLimitRejected)] == ["timeout"]
    # No budget leaked or lost: one unit per second exactly.
    assert limiter.try_acquire_sync("k").allowed is False
    await clock.advance(1.0)
    assert limiter.try_acquire_sync("k").allowed


async def test_a_waiter_timing_out_behind_others_is_skipped() -> None:
    clock = FakeClock()
    limiter = one_per_second(clock)
    await limiter.acquire("k")
    done: list[str] = []
    await start(limiter, "a", done)
    quitter = await start(limiter, "quitter", done, timeout=1.5)
    await start(limiter, "c", done)
    await clock.advance(1.0)
    assert done == ["a"]
    await clock.advance(1.0)  # "quitter" left at 1.5: "c" gets the unit at 2.0
    assert done == ["a", "c"]
    assert not quitter.result().allowed


@pytest.mark.parametrize("position", [0, 1])
async def test_cancelled_waiters_leave_without_breaking_order(position: int) -> None:
    clock = FakeClock()
    limiter = one_per_second(clock)
    await limiter.acquire("k")
    done: list[str] = []
    tasks = [await start(limiter, name, done) for name in "abc"]
    tasks[position].cancel()
    await asyncio.sleep(0)
    expected = [n for i, n in enumerate("abc") if i != position]
    await clock.advance(1.0)
    assert done == expected[:1]
    await clock.advance(1.0)
    assert done == expected
    assert tasks[position].cancelled()
    await clock.advance(1.0)
    assert limiter.try_acquire_sync("k").allowed  # the cancelled waiter took nothing


async def test_cancelled_after_admission_gives_the_budget_back() -> None:
    clock = FakeClock()
    budget = {"k": 1}
    refunds: list[float] = []
    waiter: asyncio.Task[Decision] | None = None

    def decide(key: str, cost: float) -> Decision:
        if budget[key] >= cost:
            budget[key] -= int(cost)
            assert waiter is not None
            asyncio.get_running_loop().call_soon(waiter.cancel)  # lands after set_result
            return Decision(True, 0.0, budget[key])
        return Decision(False, 1.0, budget[key])

    def refund(key: str, cost: float) -> None:
        refunds.append(cost)
        budget[key] += int(cost)

    queues = WaiterQueues(clock, decide, refund, decide)
    budget["k"] = 0
    waiter = asyncio.ensure_future(queues.wait("k", 1, None))
    await asyncio.sleep(0)
    budget["k"] = 1
    await clock.advance(1.0)
    assert waiter.cancelled()
    assert refunds == [1]
    assert budget["k"] == 1
    assert not queues


@pytest.mark.parametrize("algorithm", ["fixed_window", "token_bucket"])
async def test_ten_thousand_waiters_all_complete_in_order(algorithm: str) -> None:
    clock = FakeClock(settle=3)
    burst = {"burst": 100} if algorithm == "token_bucket" else {}
    limiter = RateLimiter(1000, 1.0, algorithm=algorithm, clock=clock, **burst)  # type: ignore[arg-type]
    while limiter.try_acquire_sync("k").allowed:
        pass
    order: list[int] = []

    async def waiter(index: int) -> None:
        assert (await limiter.acquire("k")).allowed
        order.append(index)

    tasks = [asyncio.ensure_future(waiter(i)) for i in range(10_000)]
    await asyncio.sleep(0)
    assert limiter._queues.waiting("k") == 10_000
    seconds = 0
    while len(order) < 10_000 and seconds < 30:
        await clock.advance(1.0)
        seconds += 1
    assert order == list(range(10_000))
    await asyncio.gather(*tasks)
    assert not limiter._waiting


async def test_acquire_timeout_must_be_valid() -> None:
    limiter = RateLimiter(1)
    for timeout in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout"):
            await limiter.acquire("k", timeout=timeout)
