"""Timeout: the loop-time path and the fake-clock path."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from paca.resilience._clock import FakeClock, MonotonicClock
from paca.resilience._timeout import Timeout, run_within
from paca.result import ErrorKind


async def forever() -> None:
    await asyncio.Event().wait()


async def quick(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def test_fast_call_returns_its_value() -> None:
    assert await Timeout(5).call(quick, 3) == 3
    assert await Timeout(5, clock=FakeClock()).call(quick, 4) == 4
    assert (await Timeout(5).execute(quick, 5)).data == 5


async def test_loop_time_timeout_cancels_the_call() -> None:
    # Timeout(0) expires on the next loop turn: no real waiting.
    cancelled = []

    async def hang() -> None:
        try:
            await forever()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    with pytest.raises(TimeoutError):
        await Timeout(0).call(hang)
    assert cancelled == [True]


async def test_fake_clock_drives_the_timeout() -> None:
    clock = FakeClock()
    cancelled: list[float] = []

    async def hang() -> None:
        try:
            await clock.sleep(100)
        except asyncio.CancelledError:
            cancelled.append(clock.now())
            raise

    task = asyncio.ensure_future(Timeout(3, clock=clock).call(hang))
    await clock.advance(2.5)
    assert not task.done()
    await clock.advance(1)
    with pytest.raises(TimeoutError, match="3s"):
        await task
    assert cancelled == [3.0]
    assert clock.sleepers == 0


async def test_execute_returns_a_timeout_failure() -> None:
    clock = FakeClock()
    task = asyncio.ensure_future(Timeout(1, clock=clock).execute(clock.sleep, 10))
    await clock.advance(2)
    result = await task
    assert result.kind is ErrorKind.TIMEOUT
    assert result.meta["timeout"] == 1.0
    assert (await Timeout(0).execute(forever)).kind is ErrorKind.TIMEOUT


async def test_execute_classifies_other_failures() -> None:
    async def boom() -> None:
        raise ConnectionResetError("reset")

    assert (await Timeout(1).execute(boom)).kind is ErrorKind.CONNECTION


@pytest.mark.parametrize("clock", [None, FakeClock()])
async def test_outside_cancellation_propagates_not_as_timeout(clock: Any) -> None:
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await forever()

    task = asyncio.ensure_future(Timeout(100, clock=clock).execute(hang))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_outside_cancellation_wins_over_a_simultaneous_timeout() -> None:
    clock = FakeClock()
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await forever()

    task = asyncio.ensure_future(Timeout(1, clock=clock).call(hang))
    await started.wait()
    task.cancel()
    await clock.advance(2)  # the timer fires too
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_timer_firing_after_completion_does_not_cancel_the_caller() -> None:
    clock = FakeClock()
    assert await run_within(clock, 0, quick(1)) == 1
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # a late timer callback must not cancel this task
    assert await run_within(MonotonicClock(), 5, quick(2)) == 2


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_invalid_seconds(seconds: float) -> None:
    with pytest.raises(ValueError, match="seconds"):
        Timeout(seconds)


def test_wrong_type_and_repr() -> None:
    with pytest.raises(TypeError, match="seconds"):
        Timeout("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds"):
        Timeout(None)  # type: ignore[arg-type]
    assert repr(Timeout(1.5)) == "Timeout(1.5s, name='timeout')"


# -- the shared deadline queue of the loop-time path ------------------------------


async def test_many_concurrent_calls_expire_and_quick_ones_pass() -> None:
    timeout = Timeout(0)
    hanging = [asyncio.ensure_future(timeout.execute(forever)) for _ in range(5)]
    results = await asyncio.gather(*hanging)
    assert {r.kind for r in results} == {ErrorKind.TIMEOUT}
    assert await Timeout(60).call(quick, 9) == 9
    assert (await timeout.execute(forever)).kind is ErrorKind.TIMEOUT  # reusable


async def test_expiry_cancels_only_live_expired_entries_and_rearms() -> None:
    from paca.resilience._timeout import _DONE, _FIRED, _LIVE, _Deadlines

    deadlines = _Deadlines(1000)
    loop = asyncio.get_running_loop()
    first, second, third = deadlines.enter(), deadlines.enter(), deadlines.enter()
    now = loop.time()
    first[0], second[0], third[0] = now - 2, now - 1, now + 1000
    first[2] = _DONE  # finished, not yet dropped
    second[1] = asyncio.ensure_future(forever())  # a task to cancel
    deadlines._expire()
    assert second[2] is _FIRED
    assert third[2] is _LIVE
    assert deadlines._timer is not None  # re-armed for `third`
    assert deadlines.leave(third) is False
    with pytest.raises(asyncio.CancelledError):
        await second[1]
    assert not deadlines._entries
    deadlines._timer.cancel()


def test_a_timeout_survives_a_new_event_loop() -> None:
    timeout = Timeout(30)
    for _ in range(2):
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(timeout.call(quick, 1)) == 1
        finally:
            loop.close()


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Task.cancelling()/uncancel() exist from Python 3.11"
)
async def test_a_swallowed_expiry_does_not_leak_a_cancellation() -> None:
    async def stubborn() -> str:
        try:
            await forever()
        except asyncio.CancelledError:
            return "swallowed"
        return "never"

    assert await Timeout(0).call(stubborn) == "swallowed"
    await asyncio.sleep(0)  # this task is not cancelled afterwards
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
