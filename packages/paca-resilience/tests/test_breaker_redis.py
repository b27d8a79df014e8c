"""Redis-only breaker behaviour: shared state, probe leases across processes, failure modes."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from paca.resilience._breaker import CircuitBreaker
from paca.resilience._breaker_config import BreakerState
from paca.resilience._breaker_events import BreakerEvent, BreakerStoreFailed, CallRejected
from paca.resilience._clock import FakeClock
from paca.resilience._errors import CircuitOpenError
from paca.resilience._store import FailureMode, RedisStore
from paca.result import ErrorKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

S = BreakerState
BASE = {"window_size": 4, "minimum_calls": 4, "open_duration": 10.0}


async def boom() -> None:
    raise ConnectionError("down")


async def ok() -> int:
    return 1


@pytest.fixture
def store(redis_store: RedisStore) -> RedisStore:
    return redis_store


async def trip(breaker: CircuitBreaker) -> None:
    for _ in range(4):
        with pytest.raises(ConnectionError):
            await breaker.call(boom)
    assert breaker.state is S.OPEN


@pytest.mark.redis
async def test_state_is_shared_by_every_process(store: RedisStore) -> None:
    clock = FakeClock()
    one, two = (
        CircuitBreaker("shared", clock=clock, store=store, redis_time_override=clock, **BASE)
        for _ in range(2)
    )
    await trip(one)
    with pytest.raises(CircuitOpenError) as raised:
        await two.call(ok)  # the other "process" sees the open breaker
    assert raised.value.retry_after == pytest.approx(10.0)
    metrics = await two.refresh()
    assert (metrics.state, metrics.calls, metrics.failed_calls) == (S.OPEN, 4, 4)
    assert metrics.not_permitted_calls == 1


@pytest.mark.redis
async def test_probe_leases_are_shared_by_five_processes(store: RedisStore) -> None:
    clock = FakeClock()
    permits = 2
    breakers = [
        CircuitBreaker(
            "leases",
            clock=clock,
            store=store,
            redis_time_override=clock,
            half_open_permits=permits,
            **BASE,
        )
        for _ in range(5)
    ]
    await trip(breakers[0])
    await clock.advance(10)
    gate = asyncio.Event()
    inside = 0

    async def probe() -> None:
        nonlocal inside
        inside += 1
        await gate.wait()

    tasks = [asyncio.create_task(b.call(probe)) for b in breakers for _ in range(40)]
    pending = set(tasks)
    while len(pending) > permits:  # every call but the probes is rejected
        _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    assert inside == permits
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert sum(isinstance(r, CircuitOpenError) for r in results) == len(tasks) - permits
    assert (await breakers[3].refresh()).state is S.CLOSED


@pytest.mark.redis
async def test_a_crashed_process_lease_expires(store: RedisStore) -> None:
    clock = FakeClock()
    options = {**BASE, "half_open_permits": 1, "probe_lease_duration": 5.0}
    crashed, alive = (
        CircuitBreaker("crash", clock=clock, store=store, redis_time_override=clock, **options)
        for _ in range(2)
    )
    await trip(crashed)
    await clock.advance(10)
    await crashed._acquire_redis()  # takes the only lease, then "crashes"
    with pytest.raises(CircuitOpenError):
        await alive.call(ok)
    await clock.advance(5)
    assert await alive.call(ok) == 1  # the lease expired
    assert alive.state is S.CLOSED


@pytest.mark.redis
async def test_redis_time_is_the_clock_without_override(store: RedisStore) -> None:
    breaker = CircuitBreaker("real-time", store=store, **{**BASE, "open_duration": 60.0})
    await trip(breaker)
    result = await breaker.execute(ok)
    assert result.kind is ErrorKind.CIRCUIT_OPEN
    assert 59.0 < result.meta["retry_after"] <= 60.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def dead_store() -> AsyncIterator[RedisStore]:
    # No client-side retries: the failure reaches the breaker at once.
    client = Redis(
        host="127.0.0.1", port=closed_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    try:
        yield RedisStore(client, prefix="unreachable", failure_mode=FailureMode.FAIL_CLOSED)
    finally:
        await client.aclose()


async def test_unreachable_redis_fails_open_with_an_event(dead_store: RedisStore) -> None:
    breaker = CircuitBreaker("b", store=dead_store, failure_mode="fail_open")
    events: list[BreakerEvent] = []
    breaker.add_listener(events.append)
    assert await breaker.call(ok) == 1
    async with breaker:
        pass
    assert (await breaker.execute(ok)).data == 1
    failed = [e for e in events if isinstance(e, BreakerStoreFailed)]
    assert len(failed) == 3
    assert {(e.operation, e.failure_mode) for e in failed} == {("acquire", "fail_open")}
    assert (await breaker.refresh()).calls == 0  # nothing raises


async def test_unreachable_redis_fails_closed_with_an_event(dead_store: RedisStore) -> None:
    breaker = CircuitBreaker("b", store=dead_store)  # the store's FAIL_CLOSED
    assert breaker.failure_mode is FailureMode.FAIL_CLOSED
    events: list[BreakerEvent] = []
    breaker.add_listener(events.append)
    with pytest.raises(CircuitOpenError, match="unavailable"):
        await breaker.call(ok)
    result = await breaker.execute(ok)
    assert result.kind is ErrorKind.CIRCUIT_OPEN
    assert result.meta["retry_after"] is None
    assert [type(e) for e in events] == [BreakerStoreFailed, CallRejected] * 2


async def test_name_with_braces_is_rejected_for_redis(dead_store: RedisStore) -> None:
    with pytest.raises(ValueError, match="name"):
        CircuitBreaker("a{b}", store=dead_store)
