"""The Redis twin: shared budgets across processes, TTLs, and Redis failures."""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from paca.resilience._clock import FakeClock, MonotonicClock
from paca.resilience._errors import RateLimitedError
from paca.resilience._limiter import RateLimiter
from paca.resilience._limiter_events import (
    RateLimiterEvent,
    RateLimitHeadersAdopted,
    RateLimitRejected,
    RateLimitStoreFailed,
)
from paca.resilience._store import FailureMode, RedisStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ALGORITHMS = ["token_bucket", "gcra", "sliding_window", "fixed_window"]


# --- two processes, one budget --------------------------------------------------------------

WORKER = """
import asyncio, sys
import redis.asyncio as aioredis
from paca.resilience._limiter import RateLimiter
from paca.resilience._store import RedisStore

async def main(url, prefix, algorithm, budget, attempts):
    client = aioredis.Redis.from_url(url)
    store = RedisStore(client, prefix=prefix)
    limiter = RateLimiter(budget, 3600.0, algorithm=algorithm, store=store)
    await limiter.try_acquire("warm-up")  # connect and load the script before the start signal
    print("ready", flush=True)
    sys.stdin.readline()
    admitted = 0
    for i in range(attempts):
        decision = await limiter.try_acquire("shared", cost=1 + i % 2)
        admitted += (1 + i % 2) if decision.allowed else 0
    await client.aclose()
    print(admitted)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
"""


@pytest.mark.redis
@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_two_processes_never_exceed_the_shared_budget(
    redis_url: str, redis_store: RedisStore, algorithm: str
) -> None:
    budget, attempts = 200, 300
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            redis_url,
            redis_store.prefix,
            algorithm,
            str(budget),
            str(attempts),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for p in processes:  # both are connected and waiting: start them together
        assert p.stdout is not None
        assert await p.stdout.readline() == b"ready\n"
    start = await redis_store.client.time()
    outputs = await asyncio.gather(*(p.communicate(b"go\n") for p in processes))
    end = await redis_store.client.time()
    assert [p.returncode for p in processes] == [0, 0]
    admitted = [int(out.decode()) for out, _ in outputs]
    windows = {int(start[0]) // 3600, int(end[0]) // 3600}
    bound = budget if len(windows) == 1 or algorithm in ("token_bucket", "gcra") else 2 * budget
    assert budget - 1 <= sum(admitted) <= bound  # (a cost of 2 may not fit the last unit)


# --- keys expire ----------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.parametrize(
    ("algorithm", "ttl"),
    [("token_bucket", 1200), ("gcra", 1200), ("sliding_window", 7200), ("fixed_window", 3600)],
)
async def test_keys_get_a_ttl(redis_store: RedisStore, algorithm: str, ttl: float) -> None:
    limiter = RateLimiter(3, 3600.0, algorithm=algorithm, store=redis_store)
    assert (await limiter.try_acquire("k")).allowed
    pttl = await redis_store.client.pttl(redis_store.key("ratelimit", "default", "k"))
    assert 0 < pttl <= ttl * 1000 + 1


@pytest.mark.redis
async def test_blocks_expire_too(redis_store: RedisStore) -> None:
    limiter = RateLimiter(3, 1.0, store=redis_store)
    await limiter.block("k", 30)
    pttl = await redis_store.client.pttl(redis_store.key("ratelimit", "default", "k"))
    assert 29_000 < pttl <= 30_001


@pytest.mark.redis
async def test_acquire_sleeps_retry_after_and_retries(redis_store: RedisStore) -> None:
    limiter = RateLimiter(200, 1.0, burst=1, store=redis_store, clock=MonotonicClock())
    assert (await limiter.acquire("k")).allowed
    assert (await limiter.acquire("k", timeout=5)).allowed  # waited ~5 ms (real Redis time)


@pytest.mark.redis
async def test_two_limiters_share_one_budget(redis_store: RedisStore) -> None:
    first = RateLimiter(2, 3600.0, store=redis_store, name="api")
    second = RateLimiter(2, 3600.0, store=redis_store, name="api")
    other = RateLimiter(2, 3600.0, store=redis_store, name="other")
    assert (await first.try_acquire()).allowed
    assert (await second.try_acquire()).allowed
    assert not (await first.try_acquire()).allowed
    assert (await other.try_acquire()).allowed


@pytest.mark.redis
async def test_sync_fast_path_needs_memory(redis_store: RedisStore) -> None:
    limiter = RateLimiter(2, store=redis_store)
    with pytest.raises(TypeError, match="MemoryStore"):
        limiter.try_acquire_sync("k")
    assert limiter.tracked_keys == 0


# --- Redis unreachable ------------------------------------------------------------------------


@pytest.fixture
async def dead_client() -> AsyncIterator[aioredis.Redis]:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # No client-side retries: they would only add backoff sleeps before each failure.
    client = aioredis.Redis(
        host="127.0.0.1", port=port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    yield client
    await client.aclose()


async def test_unreachable_redis_fails_open(dead_client: aioredis.Redis) -> None:
    store = RedisStore(dead_client, failure_mode=FailureMode.FAIL_OPEN)
    limiter = RateLimiter(1, store=store, clock=FakeClock(), name="api")
    events: list[RateLimiterEvent] = []
    limiter.add_listener(events.append)
    for _ in range(3):
        assert (await limiter.try_acquire("k")).allowed
    assert (await limiter.acquire("k", timeout=1)).allowed
    assert (await limiter.acquire_or_raise("k")).allowed
    await limiter.block("k", 10)
    await limiter.update_from_headers({"Retry-After": "10"}, key="k")
    failures = [e for e in events if isinstance(e, RateLimitStoreFailed)]
    assert len(failures) == 7
    assert all(e.admitted and e.failure_mode == "fail_open" for e in failures)
    assert {e.operation for e in failures} == {"acquire", "block"}
    assert "ConnectionError" in failures[0].error
    assert not [e for e in events if isinstance(e, RateLimitRejected)]
    assert not [e for e in events if isinstance(e, RateLimitHeadersAdopted)]  # nothing adopted


async def test_unreachable_redis_fails_closed(dead_client: aioredis.Redis) -> None:
    store = RedisStore(dead_client)  # fail open by default, the limiter overrides it
    clock = FakeClock()
    limiter = RateLimiter(1, store=store, clock=clock, failure_mode="fail_closed")
    events: list[RateLimiterEvent] = []
    limiter.add_listener(events.append)
    denied = await limiter.try_acquire("k")
    assert (denied.allowed, denied.retry_after) == (False, None)
    assert not (await limiter.acquire("k", timeout=10)).allowed
    assert clock.sleepers == 0  # no blind waiting while Redis is down
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire_or_raise("k")
    assert caught.value.retry_after is None
    failures = [e for e in events if isinstance(e, RateLimitStoreFailed)]
    assert len(failures) == 3
    assert not any(e.admitted for e in failures)
    rejected = [e for e in events if isinstance(e, RateLimitRejected)]
    assert [e.reason for e in rejected] == ["store_unavailable"] * 3


async def test_a_raising_listener_does_not_break_a_failing_store(
    dead_client: aioredis.Redis,
) -> None:
    limiter = RateLimiter(1, store=RedisStore(dead_client), clock=FakeClock())

    def broken(event: RateLimiterEvent) -> None:
        raise RuntimeError(event)

    limiter.add_listener(broken)
    assert (await limiter.try_acquire("k")).allowed
