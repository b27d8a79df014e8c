"""CircuitBreaker behaviour, the same tests on MemoryStore and on RedisStore.

The Redis runs use ``redis_time_override`` so the Lua script reads the fake
clock instead of Redis ``TIME``: every scenario stays deterministic.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from paca.resilience._breaker import CircuitBreaker
from paca.resilience._breaker_config import BreakerState
from paca.resilience._breaker_events import BreakerEvent, BreakerStateChanged, CallRejected
from paca.resilience._clock import FakeClock
from paca.resilience._errors import CircuitOpenError
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Callable

    from paca.resilience._store import RedisStore

S = BreakerState


@dataclass
class Env:
    kind: str
    clock: FakeClock
    make: Callable[..., CircuitBreaker]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def env(request: pytest.FixtureRequest) -> Env:
    clock = FakeClock()
    if request.param == "memory":
        return Env("memory", clock, lambda name="b", **kw: CircuitBreaker(name, clock=clock, **kw))
    store: RedisStore = request.getfixturevalue("redis_store")

    def make(name: str = "b", **kw: Any) -> CircuitBreaker:
        return CircuitBreaker(name, clock=clock, store=store, redis_time_override=clock, **kw)

    return Env("redis", clock, make)


async def ok() -> int:
    return 1


async def boom() -> int:
    raise ConnectionError("down")


async def drain(breaker: CircuitBreaker) -> None:
    """Wait for background releases (Redis records cancelled calls in a task)."""
    await asyncio.gather(*breaker._tasks)


async def until_done(tasks: list[asyncio.Task[Any]], count: int) -> None:
    """Wait until ``count`` of ``tasks`` have finished."""
    pending = set(tasks)
    while len(tasks) - len(pending) < count:
        _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)


async def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError):
            await breaker.call(boom)


BASE = {"window_size": 4, "minimum_calls": 4, "open_duration": 10.0, "half_open_permits": 2}


async def test_opens_by_failure_rate_and_rejects_with_retry_after(env: Env) -> None:
    breaker = env.make(**BASE)
    events: list[BreakerEvent] = []
    breaker.add_listener(events.append)
    await breaker.call(ok)
    await breaker.call(ok)
    await fail(breaker, 1)
    assert breaker.state is S.CLOSED
    await fail(breaker, 1)  # 2/4 = 50 %
    assert breaker.state is S.OPEN
    await env.clock.advance(4)
    with pytest.raises(CircuitOpenError) as raised:
        await breaker.call(ok)
    assert raised.value.retry_after == pytest.approx(6.0)
    assert raised.value.kind is ErrorKind.CIRCUIT_OPEN
    result = await breaker.execute(ok)
    assert not result.is_success
    assert result.kind is ErrorKind.CIRCUIT_OPEN
    assert result.meta["retry_after"] == pytest.approx(6.0)
    metrics = breaker.metrics()
    assert (metrics.calls, metrics.failed_calls, metrics.failure_rate) == (4, 2, 50.0)
    assert metrics.not_permitted_calls == 2
    changed = [e for e in events if isinstance(e, BreakerStateChanged)]
    assert [(e.previous, e.state, e.reason) for e in changed] == [
        (S.CLOSED, S.OPEN, "failure_rate")
    ]
    assert changed[0].open_duration == pytest.approx(10.0)
    assert [e for e in events if isinstance(e, CallRejected)] == [
        CallRejected("b", "open", pytest.approx(6.0)),  # type: ignore[arg-type]
    ] * 2


async def test_half_open_closes_on_successful_probes(env: Env) -> None:
    breaker = env.make(**BASE)
    await fail(breaker, 4)
    await env.clock.advance(10)
    assert await breaker.call(ok) == 1
    assert breaker.state is S.HALF_OPEN
    async with breaker:
        pass
    assert breaker.state is S.CLOSED
    assert breaker.metrics().calls == 0


async def test_half_open_reopens_on_failed_probes(env: Env) -> None:
    breaker = env.make(**BASE)
    await fail(breaker, 4)
    await env.clock.advance(10)
    await breaker.call(ok)
    await fail(breaker, 1)  # 1 of 2 probes failed: 50 %
    assert breaker.state is S.OPEN
    with pytest.raises(CircuitOpenError):
        await breaker.call(ok)


async def test_consecutive_failures_open_before_minimum_calls(env: Env) -> None:
    breaker = env.make(window_size=50, minimum_calls=50, consecutive_failures=3)
    await fail(breaker, 2)
    await breaker.call(ok)
    await fail(breaker, 2)
    assert breaker.state is S.CLOSED
    await fail(breaker, 1)
    assert breaker.state is S.OPEN


async def test_slow_calls_open_the_breaker(env: Env) -> None:
    breaker = env.make(
        window_size=2, minimum_calls=2, slow_call_duration=1.0, slow_call_rate_threshold=100
    )

    async def slow() -> str:
        asleep.set()
        await env.clock.sleep(2)
        return "late"

    for _ in range(2):
        asleep = asyncio.Event()
        task = asyncio.create_task(breaker.call(slow))
        await asleep.wait()  # Redis: the permit takes a real round trip first
        await env.clock.advance(2)
        assert await task == "late"
    assert breaker.state is S.OPEN
    assert breaker.metrics().slow_call_rate == 100.0


async def test_time_window_opens_on_rate(env: Env) -> None:
    breaker = env.make(window_type="time", window_size=10, minimum_calls=2)
    await fail(breaker, 1)
    await env.clock.advance(30)
    await breaker.call(ok)
    assert breaker.state is S.CLOSED  # the failure left the window
    await fail(breaker, 1)
    assert breaker.state is S.OPEN


async def test_max_time_in_half_open(env: Env) -> None:
    breaker = env.make(**BASE, max_half_open_duration=5.0)
    await fail(breaker, 4)
    await env.clock.advance(10)
    await breaker.call(ok)  # one probe of two
    await env.clock.advance(5)
    with pytest.raises(CircuitOpenError):
        await breaker.call(ok)
    assert breaker.state is S.OPEN


async def test_manual_states(env: Env) -> None:
    breaker = env.make(**BASE)
    await breaker.force_open()
    assert breaker.state is S.FORCED_OPEN
    rejected = await breaker.execute(ok)
    assert rejected.kind is ErrorKind.CIRCUIT_OPEN
    assert rejected.meta["retry_after"] is None
    await breaker.disable()
    await fail(breaker, 10)
    assert breaker.state is S.DISABLED
    await breaker.metrics_only()
    await fail(breaker, 10)
    assert breaker.state is S.METRICS_ONLY
    assert (await breaker.refresh()).failure_rate == 100.0
    await breaker.reset()
    assert breaker.state is S.CLOSED
    assert (await breaker.refresh()).calls == 0


async def test_cancelled_probe_is_not_counted_and_releases_its_permit(env: Env) -> None:
    breaker = env.make(**{**BASE, "half_open_permits": 1})
    await fail(breaker, 4)
    await env.clock.advance(10)
    gate: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    started = asyncio.Event()

    async def wait() -> int:
        started.set()
        return await gate

    probe = asyncio.create_task(breaker.call(wait))
    await started.wait()
    with pytest.raises(CircuitOpenError):
        await breaker.call(ok)  # the only permit is taken
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    await drain(breaker)
    assert breaker.state is S.HALF_OPEN  # not counted as a failure
    assert await breaker.call(ok) == 1  # the permit came back
    assert breaker.state is S.CLOSED


async def test_cancelled_call_while_closed_is_not_counted(env: Env) -> None:
    breaker = env.make(window_size=1, minimum_calls=1)
    asleep = asyncio.Event()

    async def nap() -> None:
        asleep.set()
        await env.clock.sleep(5)

    task = asyncio.create_task(breaker.call(nap))
    await asleep.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await drain(breaker)
    assert breaker.state is S.CLOSED
    assert (await breaker.refresh()).calls == 0


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
async def test_base_exceptions_propagate_and_never_count(env: Env, exc_type: type) -> None:
    breaker = env.make(window_size=1, minimum_calls=1)

    async def stop() -> None:
        raise exc_type

    with pytest.raises(exc_type):
        await breaker.call(stop)
    with pytest.raises(exc_type):
        async with breaker:
            raise exc_type
    await drain(breaker)
    assert breaker.state is S.CLOSED


async def test_concurrent_callers_in_half_open_reach_at_most_the_permits(env: Env) -> None:
    permits = 3
    callers = 10_000 if env.kind == "memory" else 500
    breaker = env.make(**{**BASE, "half_open_permits": permits})
    await fail(breaker, 4)
    await env.clock.advance(10)
    gate = asyncio.Event()
    inside = 0

    async def probe() -> None:
        nonlocal inside
        inside += 1
        await gate.wait()

    tasks = [asyncio.create_task(breaker.call(probe)) for _ in range(callers)]
    await until_done(tasks, callers - permits)
    assert inside == permits
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert sum(isinstance(r, CircuitOpenError) for r in results) == callers - permits
    assert breaker.state is S.CLOSED


async def test_predicates_on_exceptions_and_results(env: Env) -> None:
    breaker = env.make(
        window_size=4, minimum_calls=4, ignore_exceptions=(LookupError,), half_open_permits=1
    )

    async def missing() -> None:
        raise KeyError("k")

    async def invalid() -> None:
        raise ValueError("bad input")  # UNKNOWN kind: counts

    async def not_found() -> Result[int]:
        return Result.fail("nope", ErrorKind.NOT_FOUND)

    async def down() -> Result[int]:
        return Result.fail("down", ErrorKind.UNAVAILABLE)

    for _ in range(3):
        with pytest.raises(KeyError):
            await breaker.call(missing)
    assert (await breaker.refresh()).calls == 0  # ignored
    assert (await breaker.execute(not_found)).kind is ErrorKind.NOT_FOUND
    assert (await breaker.execute(not_found)).kind is ErrorKind.NOT_FOUND
    assert breaker.metrics().failed_calls == 0  # the remote side answered
    returned = await breaker.execute(down)
    assert returned.error == "down"  # returned as is
    failed = await breaker.execute(invalid)
    assert (failed.kind, failed.error) == (ErrorKind.UNKNOWN, "bad input")
    assert isinstance(failed.cause, ValueError)
    assert breaker.state is S.OPEN


async def test_custom_predicates(env: Env) -> None:
    breaker = env.make(
        window_size=2,
        minimum_calls=2,
        failure_rate_threshold=100,
        record_exception=lambda exc: not isinstance(exc, ConnectionError),
        record_result=lambda value: value == "bad",
    )

    async def bad() -> str:
        return "bad"

    await fail(breaker, 2)  # ConnectionError counts as success here
    assert breaker.state is S.CLOSED
    assert await breaker.call(bad) == "bad"
    assert await breaker.call(bad) == "bad"
    assert breaker.state is S.OPEN


async def test_a_raising_listener_never_breaks_a_call(env: Env) -> None:
    breaker = env.make(**BASE)
    seen: list[BreakerEvent] = []

    def broken(event: BreakerEvent) -> None:
        raise RuntimeError("listener bug")

    breaker.add_listener(broken)
    remove = breaker.add_listener(seen.append)
    await fail(breaker, 4)
    assert breaker.state is S.OPEN
    assert (await breaker.execute(ok)).kind is ErrorKind.CIRCUIT_OPEN
    assert len(seen) == 2
    remove()
    await breaker.execute(ok)
    assert len(seen) == 2


async def test_async_with_records_and_nests(env: Env) -> None:
    breaker = env.make(window_size=4, minimum_calls=4)
    async with breaker as entered:
        assert entered is breaker
        async with breaker:
            pass
    with pytest.raises(ConnectionError):
        async with breaker, breaker:
            raise ConnectionError("down")
    assert breaker.state is S.OPEN  # 2 of 4 failed
    with pytest.raises(CircuitOpenError):
        async with breaker:
            pytest.fail("must not run")


async def test_execute_wraps_values_and_passes_arguments(env: Env) -> None:
    breaker = env.make()

    async def add(a: int, *, b: int) -> int:
        return a + b

    assert await breaker.execute(add, 1, b=2) == Result.ok(3)
    assert await breaker.call(add, 2, b=2) == 4
