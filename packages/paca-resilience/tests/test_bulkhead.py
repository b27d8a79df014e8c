"""Bulkhead: limits, FIFO queue, queue full, max_wait, cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from paca.resilience._bulkhead import Bulkhead, BulkheadRejected, BulkheadStats
from paca.resilience._clock import FakeClock
from paca.resilience._errors import BulkheadFullError
from paca.result import ErrorKind


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


class Gate:
    """An async function whose calls block until released, recording the order."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.event = asyncio.Event()

    async def __call__(self, label: str) -> str:
        self.started.append(label)
        await self.event.wait()
        return label


async def test_limits_concurrency_and_rejects_without_queue() -> None:
    bulkhead = Bulkhead(2)
    gate = Gate()
    tasks = [asyncio.ensure_future(bulkhead.call(gate, n)) for n in "ab"]
    await settle()
    assert bulkhead.stats == BulkheadStats(active=2, queued=0, rejected=0)
    with pytest.raises(BulkheadFullError):
        await bulkhead.call(gate, "c")
    assert gate.started == ["a", "b"]
    gate.event.set()
    assert await asyncio.gather(*tasks) == ["a", "b"]
    assert bulkhead.stats == BulkheadStats(active=0, queued=0, rejected=1)


async def test_queue_is_fifo() -> None:
    bulkhead = Bulkhead(1, max_queue=10)
    order: list[str] = []
    release = asyncio.Event()

    async def job(label: str) -> None:
        order.append(label)
        if label == "first":
            await release.wait()

    tasks = [asyncio.ensure_future(bulkhead.call(job, "first"))]
    await settle()
    for label in "abcde":
        tasks.append(asyncio.ensure_future(bulkhead.call(job, label)))
        await settle()
    assert bulkhead.queued == 5
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first", "a", "b", "c", "d", "e"]


async def test_newcomer_cannot_overtake_the_queue() -> None:
    bulkhead = Bulkhead(1, max_queue=1)
    assert bulkhead.try_acquire()
    waiter = asyncio.ensure_future(bulkhead.acquire())
    await settle()
    bulkhead.release()  # handed to the waiter, not freed
    assert not bulkhead.try_acquire()
    await waiter
    assert bulkhead.active == 1
    bulkhead.release()
    assert bulkhead.active == 0


async def test_queue_full_is_rejected_with_event() -> None:
    bulkhead = Bulkhead(1, max_queue=1, name="db")
    events: list[BulkheadRejected] = []
    bulkhead.add_listener(events.append)
    gate = Gate()
    running = asyncio.ensure_future(bulkhead.call(gate, "a"))
    queued = asyncio.ensure_future(bulkhead.call(gate, "b"))
    await settle()
    result = await bulkhead.execute(gate, "c")
    assert result.kind is ErrorKind.UNAVAILABLE
    assert isinstance(result.cause, BulkheadFullError)
    assert events == [BulkheadRejected("db", "queue_full", active=1, queued=1)]
    gate.event.set()
    await asyncio.gather(running, queued)
    assert gate.started == ["a", "b"]


async def test_max_wait_rejects_a_waiter_that_waited_too_long() -> None:
    clock = FakeClock()
    bulkhead = Bulkhead(1, max_queue=5, max_wait=2.0, clock=clock)
    events: list[BulkheadRejected] = []
    bulkhead.add_listener(events.append)
    assert bulkhead.try_acquire()
    waiter = asyncio.ensure_future(bulkhead.acquire())
    await clock.advance(1.5)
    assert not waiter.done()
    await clock.advance(1.0)
    with pytest.raises(BulkheadFullError, match="max wait"):
        await waiter
    assert bulkhead.stats == BulkheadStats(active=1, queued=0, rejected=1)
    assert events[0].reason == "max_wait"
    bulkhead.release()
    assert bulkhead.active == 0


async def test_max_wait_zero_means_no_waiting() -> None:
    bulkhead = Bulkhead(1, max_queue=5, max_wait=0)
    assert bulkhead.try_acquire()
    with pytest.raises(BulkheadFullError):
        await bulkhead.acquire()


async def test_waiter_admitted_before_max_wait() -> None:
    clock = FakeClock()
    bulkhead = Bulkhead(1, max_queue=5, max_wait=2.0, clock=clock)
    assert bulkhead.try_acquire()
    waiter = asyncio.ensure_future(bulkhead.acquire())
    await clock.advance(1)
    bulkhead.release()
    await waiter
    await clock.advance(5)  # the timer is gone: nothing cancels the holder
    assert bulkhead.active == 1
    assert clock.sleepers == 0


async def test_cancelled_waiter_leaves_the_queue_cleanly() -> None:
    bulkhead = Bulkhead(1, max_queue=3)
    gate = Gate()
    running = asyncio.ensure_future(bulkhead.call(gate, "a"))
    b = asyncio.ensure_future(bulkhead.call(gate, "b"))
    c = asyncio.ensure_future(bulkhead.call(gate, "c"))
    await settle()
    assert bulkhead.queued == 2
    b.cancel()
    with pytest.raises(asyncio.CancelledError):
        await b
    assert bulkhead.queued == 1
    gate.event.set()
    assert await asyncio.gather(running, c) == ["a", "c"]
    assert gate.started == ["a", "c"]
    assert bulkhead.stats == BulkheadStats(active=0, queued=0, rejected=0)


async def test_cancelled_running_call_frees_its_slot() -> None:
    bulkhead = Bulkhead(1)
    gate = Gate()
    task = asyncio.ensure_future(bulkhead.call(gate, "a"))
    await settle()
    assert bulkhead.active == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert bulkhead.active == 0
    gate.event.set()
    assert await bulkhead.call(gate, "b") == "b"


async def test_slot_handed_to_a_cancelled_waiter_moves_on() -> None:
    bulkhead = Bulkhead(1, max_queue=3)
    assert bulkhead.try_acquire()
    first = asyncio.ensure_future(bulkhead.acquire())
    second = asyncio.ensure_future(bulkhead.acquire())
    await settle()
    bulkhead.release()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it resumes
    with pytest.raises(asyncio.CancelledError):
        await first
    await second  # the slot went on
    assert bulkhead.stats == BulkheadStats(active=1, queued=0, rejected=0)


async def test_async_with_and_execute() -> None:
    bulkhead = Bulkhead(2)
    async with bulkhead as held:
        assert held.active == 1
    assert bulkhead.active == 0

    async def boom() -> None:
        raise ConnectionError("x")

    result = await bulkhead.execute(boom)
    assert result.kind is ErrorKind.CONNECTION
    assert bulkhead.active == 0

    async def value() -> int:
        return 3

    assert (await bulkhead.execute(value)).data == 3
    assert "active=0/2" in repr(bulkhead)


async def test_raising_listener_does_not_break_rejection() -> None:
    bulkhead = Bulkhead(1)

    def boom(event: Any) -> None:
        raise RuntimeError("listener")

    bulkhead.add_listener(boom)
    assert bulkhead.try_acquire()
    with pytest.raises(BulkheadFullError):
        await bulkhead.acquire()


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((0,), {}, "max_concurrent"),
        ((1, -1), {}, "max_queue"),
        ((1, 1, -0.5), {}, "max_wait"),
        ((1, 1, float("nan")), {}, "max_wait"),
    ],
)
def test_invalid_configuration_names_the_parameter(
    args: tuple[Any, ...], kwargs: dict[str, Any], name: str
) -> None:
    with pytest.raises(ValueError, match=name):
        Bulkhead(*args, **kwargs)


def test_bad_types() -> None:
    with pytest.raises(TypeError, match="max_concurrent"):
        Bulkhead(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_queue"):
        Bulkhead(1, True)
