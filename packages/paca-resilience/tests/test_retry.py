"""RetryPolicy: attempts, deadline, attempt timeout, predicates, Retry-After, cancellation."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import pytest
import tenacity

from paca.resilience._clock import FakeClock
from paca.resilience._errors import CircuitOpenError, RateLimitedError
from paca.resilience._retry import RetryGaveUp, RetryPolicy, RetryScheduled
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Awaitable


async def drive(
    clock: FakeClock, aw: Awaitable[Any], step: float = 0.5, limit: int = 10_000
) -> Any:
    """Run ``aw`` as a task, moving the fake clock until it finishes."""
    task = asyncio.ensure_future(aw)
    for _ in range(limit):
        if task.done():
            break
        await clock.advance(step)
    return await task


class Flaky:
    """Fails with ``exc`` (or returns ``bad``) ``failures`` times, then returns ``value``."""

    def __init__(self, failures: int, exc: Exception | None = None, bad: Any = None) -> None:
        self.failures = failures
        self.exc = exc
        self.bad = bad
        self.calls = 0

    async def __call__(self, value: Any = "ok") -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            if self.exc is not None:
                raise self.exc
            return self.bad
        return value


def policy(clock: FakeClock, **kw: Any) -> RetryPolicy:
    kw.setdefault("rng", random.Random(7))
    return RetryPolicy(clock=clock, **kw)


# -- attempts ------------------------------------------------------------------


async def test_success_first_try_needs_no_clock() -> None:
    clock = FakeClock()
    fn = Flaky(0)
    assert await policy(clock).call(fn, "v") == "v"
    result = await policy(clock).execute(fn, "w")
    assert result == Result.ok("w", meta={"attempts": 1})
    assert clock.now() == 0


async def test_retries_until_success() -> None:
    clock = FakeClock()
    fn = Flaky(2, ConnectionError("down"))
    result = await drive(clock, policy(clock, attempts=3).execute(fn))
    assert result.is_success
    assert result.data == "ok"
    assert result.meta["attempts"] == 3
    assert fn.calls == 3


async def test_gives_up_after_attempts_and_raises_last_exception() -> None:
    clock = FakeClock()
    error = ConnectionError("down")
    fn = Flaky(99, error)
    with pytest.raises(ConnectionError) as caught:
        await drive(clock, policy(clock, attempts=4).call(fn))
    assert caught.value is error
    assert fn.calls == 4


async def test_execute_reports_failure_with_attempts() -> None:
    clock = FakeClock()
    fn = Flaky(99, ConnectionError("down"))
    result = await drive(clock, policy(clock, attempts=3).execute(fn))
    assert not result.is_success
    assert result.kind is ErrorKind.CONNECTION
    assert result.meta["attempts"] == 3
    assert isinstance(result.cause, ConnectionError)


async def test_single_attempt_never_retries() -> None:
    clock = FakeClock()
    fn = Flaky(1, ConnectionError())
    result = await policy(clock, attempts=1).execute(fn)
    assert result.kind is ErrorKind.CONNECTION
    assert fn.calls == 1


# -- predicates ----------------------------------------------------------------


async def test_non_retryable_exception_runs_once() -> None:
    clock = FakeClock()
    fn = Flaky(1, ValueError("bug"))  # classified UNKNOWN: not retryable
    with pytest.raises(ValueError, match="bug"):
        await policy(clock).call(fn)
    assert fn.calls == 1


async def test_circuit_open_is_not_retried_by_default() -> None:
    clock = FakeClock()
    fn = Flaky(1, CircuitOpenError("b", "open"))
    result = await policy(clock).execute(fn)
    assert result.kind is ErrorKind.CIRCUIT_OPEN
    assert fn.calls == 1


async def test_retry_on_exception_types() -> None:
    clock = FakeClock()
    fn = Flaky(2, KeyError("k"))
    assert await drive(clock, policy(clock, retry_on=(KeyError, IndexError)).call(fn)) == "ok"
    assert fn.calls == 3
    other = Flaky(2, ConnectionError())  # retryable kind, but not in retry_on
    with pytest.raises(ConnectionError):
        await policy(clock, retry_on=KeyError).call(other)
    assert other.calls == 1


async def test_retry_on_predicate() -> None:
    clock = FakeClock()
    fn = Flaky(1, RuntimeError("transient"))
    pol = policy(clock, retry_on=lambda exc: "transient" in str(exc))
    assert await drive(clock, pol.call(fn)) == "ok"
    assert fn.calls == 2


async def test_retry_kinds_restrict_exceptions_and_results() -> None:
    clock = FakeClock()
    pol = policy(clock, retry_kinds={ErrorKind.TIMEOUT})
    conn = Flaky(1, ConnectionError())
    with pytest.raises(ConnectionError):
        await pol.call(conn)
    assert conn.calls == 1
    timeout = Flaky(1, TimeoutError())
    assert await drive(clock, pol.call(timeout)) == "ok"
    assert timeout.calls == 2


async def test_failed_result_with_retryable_kind_is_retried() -> None:
    clock = FakeClock()
    bad = Result.fail("busy", ErrorKind.UNAVAILABLE)
    fn = Flaky(2, bad=bad)
    result = await drive(clock, policy(clock).execute(fn, Result.ok(5)))
    assert result.data == 5
    assert result.meta["attempts"] == 3


async def test_failed_result_with_final_kind_is_returned_at_once() -> None:
    clock = FakeClock()
    bad = Result.fail("missing", ErrorKind.NOT_FOUND)
    fn = Flaky(5, bad=bad)
    assert await policy(clock).call(fn) is bad
    result = await policy(clock).execute(fn)
    assert result.kind is ErrorKind.NOT_FOUND
    assert result.meta["attempts"] == 1
    assert fn.calls == 2


async def test_exhausted_failed_result_is_returned_not_raised() -> None:
    clock = FakeClock()
    bad = Result.fail("busy", ErrorKind.CONNECTION)
    fn = Flaky(99, bad=bad)
    value = await drive(clock, policy(clock, attempts=3).call(fn))
    assert value is bad
    result = await drive(clock, policy(clock, attempts=2).execute(fn))
    assert result.kind is ErrorKind.CONNECTION
    assert result.meta["attempts"] == 2


async def test_retry_if_result_predicate() -> None:
    clock = FakeClock()
    fn = Flaky(2, bad=None)
    pol = policy(clock, retry_if_result=lambda value: value is None)
    assert await drive(clock, pol.call(fn)) == "ok"
    assert fn.calls == 3
    always = Flaky(99, bad=None)
    result = await drive(
        clock, policy(clock, attempts=2, retry_if_result=lambda v: v is None).execute(always)
    )
    assert result == Result.ok(None, meta={"attempts": 2})


# -- time: deadline, attempt timeout, backoff ----------------------------------


async def test_deadline_stops_retries_before_the_wait_would_pass_it() -> None:
    clock = FakeClock()
    fn = Flaky(99, ConnectionError())
    pol = policy(clock, attempts=100, deadline=2.5, wait=tenacity.wait_fixed(1))
    result = await drive(clock, pol.execute(fn), step=0.25)
    assert fn.calls == 3  # at t=0, 1, 2; a wait to t=3 would pass 2.5
    assert result.meta["attempts"] == 3
    assert clock.now() <= 2.5


async def test_deadline_cancels_a_hanging_attempt() -> None:
    clock = FakeClock()
    cancelled = []

    async def hang() -> None:
        try:
            await clock.sleep(1000)
        except asyncio.CancelledError:
            cancelled.append(clock.now())
            raise

    pol = policy(clock, attempts=5, deadline=4.0, backoff="none")
    result = await drive(clock, pol.execute(hang), step=0.5)
    assert result.kind is ErrorKind.TIMEOUT
    assert result.meta["attempts"] == 1
    assert cancelled == [4.0]


async def test_attempt_timeout_cancels_the_attempt_and_retries() -> None:
    clock = FakeClock()
    calls: list[str] = []

    async def slow_then_fast() -> str:
        calls.append("start")
        if len(calls) == 1:
            try:
                await clock.sleep(60)
            except asyncio.CancelledError:
                calls.append("cancelled")
                raise
        return "fast"

    pol = policy(clock, attempt_timeout=2.0, backoff="none")
    result = await drive(clock, pol.execute(slow_then_fast), step=0.5)
    assert result == Result.ok("fast", meta={"attempts": 2})
    assert calls == ["start", "cancelled", "start"]
    assert clock.now() == 2.0


async def test_attempt_timeout_exhausted_gives_timeout() -> None:
    clock = FakeClock()

    async def hang() -> None:
        await clock.sleep(1000)

    pol = policy(clock, attempts=2, attempt_timeout=1.0, backoff="none")
    with pytest.raises(TimeoutError):
        await drive(clock, pol.call(hang), step=0.25)


async def test_full_jitter_delays_stay_in_window() -> None:
    clock = FakeClock()
    events: list[Any] = []
    pol = policy(clock, attempts=6, base_delay=1.0, max_delay=5.0, backoff="full")
    pol.add_listener(events.append)
    await drive(clock, pol.execute(Flaky(99, ConnectionError())), step=0.25)
    scheduled = [e for e in events if isinstance(e, RetryScheduled)]
    assert [e.attempt for e in scheduled] == [1, 2, 3, 4, 5]
    for event in scheduled:
        assert 0 <= event.delay <= min(5.0, 2.0 ** (event.attempt - 1))
        assert event.kind is ErrorKind.CONNECTION
    assert isinstance(events[-1], RetryGaveUp)
    assert events[-1].reason == "stopped"


async def test_decorrelated_jitter_delays_stay_in_bounds() -> None:
    clock = FakeClock()
    events: list[Any] = []
    pol = policy(clock, attempts=8, base_delay=0.5, max_delay=4.0, backoff="decorrelated")
    pol.add_listener(events.append)
    await drive(clock, pol.execute(Flaky(99, ConnectionError())), step=0.25)
    delays = [e.delay for e in events if isinstance(e, RetryScheduled)]
    assert len(delays) == 7
    previous = 0.5
    for delay in delays:
        assert 0.5 <= delay <= min(4.0, 3 * previous)
        previous = delay


async def test_same_seed_same_delays() -> None:
    async def delays(seed: int) -> list[float]:
        clock = FakeClock()
        seen: list[float] = []
        pol = RetryPolicy(attempts=5, clock=clock, rng=random.Random(seed))
        pol.add_listener(lambda e: seen.append(e.delay) if isinstance(e, RetryScheduled) else None)
        await drive(clock, pol.execute(Flaky(99, ConnectionError())), step=0.1)
        return seen

    assert await delays(3) == await delays(3)


async def test_extra_tenacity_stop_composes() -> None:
    clock = FakeClock()
    fn = Flaky(99, ConnectionError())
    pol = policy(
        clock, attempts=10, stop=tenacity.stop_after_delay(1.5), wait=tenacity.wait_fixed(1)
    )
    await drive(clock, pol.execute(fn), step=0.5)
    assert fn.calls == 3  # attempts at t=0, 1, 2; after the one at t=2, 2 s >= 1.5 s: stop
    assert 2.0 <= clock.now() < 3.0


# -- Retry-After -----------------------------------------------------------------


async def test_retry_after_seconds_from_exception_is_honoured() -> None:
    clock = FakeClock()
    events: list[Any] = []
    pol = policy(clock, backoff="none")
    pol.add_listener(events.append)
    fn = Flaky(1, RateLimitedError("slow down", retry_after=7.0))
    assert await drive(clock, pol.call(fn)) == "ok"
    assert events[0].delay == 7.0
    assert events[0].kind is ErrorKind.RATE_LIMITED
    assert clock.now() >= 7.0


async def test_retry_after_is_capped() -> None:
    clock = FakeClock()
    events: list[Any] = []
    pol = policy(clock, backoff="none", max_retry_after=2.0)
    pol.add_listener(events.append)
    await drive(clock, pol.call(Flaky(1, RateLimitedError("x", retry_after=3600))))
    assert events[0].delay == 2.0


async def test_retry_after_http_date_from_result_meta() -> None:
    clock = FakeClock()
    events: list[Any] = []
    future = format_datetime(datetime.now(timezone.utc) + timedelta(days=1), usegmt=True)
    bad = Result.fail("429", ErrorKind.RATE_LIMITED, meta={"retry_after": future})
    pol = policy(clock, backoff="none", max_retry_after=30.0)
    pol.add_listener(events.append)
    assert await drive(clock, pol.call(Flaky(1, bad=bad))) == "ok"
    assert events[0].delay == 30.0


async def test_retry_after_never_shortens_backoff_and_can_be_ignored() -> None:
    clock = FakeClock()
    events: list[Any] = []
    pol = policy(clock, wait=tenacity.wait_fixed(5), respect_retry_after=False)
    pol.add_listener(events.append)
    await drive(clock, pol.call(Flaky(1, RateLimitedError("x", retry_after=60))))
    assert events[0].delay == 5.0
    past = Result.fail("429", ErrorKind.RATE_LIMITED, meta={"retry_after": "garbage"})
    pol2 = policy(clock, wait=tenacity.wait_fixed(1))
    pol2.add_listener(events.append)
    await drive(clock, pol2.call(Flaky(1, bad=past)))
    assert events[-1].delay == 1.0


# -- budget ----------------------------------------------------------------------


async def test_shared_budget_stops_retries_of_two_policies_when_drained() -> None:
    from paca.resilience._budget import RetryBudget

    clock = FakeClock()
    budget = RetryBudget(capacity=3, deposit_per_success=0.0, clock=clock)
    events: list[Any] = []
    a = policy(clock, attempts=10, budget=budget, backoff="none", name="a")
    b = policy(clock, attempts=10, budget=budget, backoff="none", name="b")
    a.add_listener(events.append)
    b.add_listener(events.append)
    fa, fb = Flaky(99, ConnectionError()), Flaky(99, ConnectionError())
    ra = await drive(clock, a.execute(fa))
    rb = await drive(clock, b.execute(fb))
    assert fa.calls == 4  # the first attempt, then the 3 retries the budget holds
    assert fb.calls == 1  # the budget is spent: no retry at all
    assert ra.meta["attempts"] == 4
    assert rb.meta["attempts"] == 1
    gave_up = [e for e in events if isinstance(e, RetryGaveUp)]
    assert [(e.name, e.reason) for e in gave_up] == [("a", "budget"), ("b", "budget")]


async def test_successes_refill_the_budget() -> None:
    from paca.resilience._budget import RetryBudget

    clock = FakeClock()
    budget = RetryBudget(capacity=2, deposit_per_success=0.5, initial=0, clock=clock)
    pol = policy(clock, budget=budget, backoff="none")
    ok = Flaky(0)
    await pol.call(ok)
    await pol.call(ok)
    assert budget.tokens == 1.0
    fn = Flaky(1, ConnectionError())
    assert await drive(clock, pol.call(fn)) == "ok"  # one retry, paid for; then a success
    assert budget.tokens == 0.5


# -- cancellation ------------------------------------------------------------------


async def test_cancelled_error_from_fn_is_not_retried_or_counted() -> None:
    from paca.resilience._budget import RetryBudget

    clock = FakeClock()
    budget = RetryBudget(capacity=5, deposit_per_success=1.0, initial=1, clock=clock)
    events: list[Any] = []
    pol = policy(clock, budget=budget)
    pol.add_listener(events.append)
    calls = 0

    async def cancelled() -> None:
        nonlocal calls
        calls += 1
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await pol.call(cancelled)
    with pytest.raises(asyncio.CancelledError):
        await pol.execute(cancelled)
    assert calls == 2
    assert events == []
    assert budget.tokens == 1.0


async def test_cancelling_the_caller_during_backoff_propagates_and_stops() -> None:
    clock = FakeClock()
    fn = Flaky(99, ConnectionError())
    pol = policy(clock, attempts=5, wait=tenacity.wait_fixed(10))
    task = asyncio.ensure_future(pol.execute(fn))
    await clock.advance(1)
    assert fn.calls == 1
    assert clock.sleepers == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await clock.advance(100)
    assert fn.calls == 1


async def test_cancelling_the_caller_during_a_timed_attempt_is_not_a_timeout() -> None:
    clock = FakeClock()
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await clock.sleep(1000)

    pol = policy(clock, attempt_timeout=5.0)
    task = asyncio.ensure_future(pol.execute(hang))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.sleepers == 0


# -- listeners and configuration ---------------------------------------------------------


async def test_raising_listener_never_breaks_the_call(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    pol = policy(clock, backoff="none")

    def boom(event: object) -> None:
        raise RuntimeError("listener bug")

    pol.add_listener(boom)
    assert await drive(clock, pol.call(Flaky(1, ConnectionError()))) == "ok"
    assert "listener" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"attempts": 0}, "attempts"),
        ({"deadline": -1.0}, "deadline"),
        ({"deadline": 0}, "deadline"),
        ({"attempt_timeout": 0}, "attempt_timeout"),
        ({"attempt_timeout": float("nan")}, "attempt_timeout"),
        ({"base_delay": -0.1}, "base_delay"),
        ({"max_delay": float("inf")}, "max_delay"),
        ({"max_retry_after": -1}, "max_retry_after"),
        ({"backoff": "linear"}, "backoff"),
    ],
)
def test_invalid_configuration_names_the_parameter(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        RetryPolicy(**kwargs)


def test_bad_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="attempts"):
        RetryPolicy(attempts=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retry_on"):
        RetryPolicy(retry_on=(ValueError, 3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retry_kinds"):
        RetryPolicy(retry_kinds=["timeout"])  # type: ignore[list-item]
    assert "attempts=3" in repr(RetryPolicy())
