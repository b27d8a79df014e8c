"""One retry loop, idempotency, Retry-After, per-host breaker, rate-limit pauses, stats, events."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from paca.http._client import UniversalAPIClient, counts_as_breaker_failure
from paca.http._endpoint import APIEndpoint
from paca.http._http_events import RateLimitPaused, RequestFinished
from paca.resilience import (
    BreakerConfig,
    BreakerStateChanged,
    RateLimiter,
    RetryPolicy,
    RetryScheduled,
)
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from conftest import TestServer

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


async def test_idempotent_call_is_retried_until_success(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        result = await client.get("/flaky/a", params={"fail": 2})
    assert result.is_success
    assert result.meta["attempts"] == 3
    assert server.hits["a"] == 3


async def test_retries_stop_at_the_policy_limit(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        result = await client.put("/flaky/b", params={"fail": 10})
    assert result.kind is ErrorKind.UNAVAILABLE
    assert result.meta["attempts"] == 3
    assert result.meta["status"] == 503
    assert server.hits["b"] == 3


async def test_post_is_not_retried_without_idempotency_key(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        plain = await client.post("/flaky/c", params={"fail": 1})
        keyed = await client.post("/flaky/d", params={"fail": 1}, idempotency_key="op-1")
    assert plain.kind is ErrorKind.UNAVAILABLE
    assert plain.meta["attempts"] == 1
    assert keyed.is_success
    assert keyed.meta["attempts"] == 2
    assert server.seen[-1]["headers"]["Idempotency-Key"] == "op-1"


async def test_non_retryable_statuses_are_not_retried(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        result = await client.get("/flaky/e", params={"fail": 1, "status": 404})
        server_error = await client.get("/flaky/f", params={"fail": 1, "status": 500})
    assert result.kind is ErrorKind.NOT_FOUND
    assert result.meta["attempts"] == 1
    assert server_error.kind is ErrorKind.HTTP_STATUS
    assert server_error.meta["attempts"] == 1


async def test_retry_after_is_honoured(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        result = await client.get("/flaky/g", params={"fail": 1, "retry_after": "0.3"})
    assert result.is_success
    assert result.meta["attempts"] == 2
    assert result.meta["elapsed"] >= 0.3


async def test_retry_after_is_capped(server: TestServer) -> None:
    capped = RetryPolicy(attempts=2, base_delay=0.001, max_retry_after=0.2)
    scheduled: list[RetryScheduled] = []
    capped.add_listener(scheduled.append)
    async with UniversalAPIClient(server.url, retry=capped) as client:
        call = client.get("/flaky/h", params={"fail": 1, "retry_after": "3600"})
        result = await asyncio.wait_for(call, 60)  # a guard: uncapped, this would wait an hour
    assert result.is_success
    assert [event.delay for event in scheduled] == [0.2]  # the server asked for an hour


async def test_connection_errors_are_retried(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        result = await client.get("/reset")
    assert result.kind is ErrorKind.CONNECTION
    assert result.meta["attempts"] == 3
    assert server.hits["reset"] == 3


async def test_endpoint_retry_overrides_client(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        client.register_endpoint(
            APIEndpoint(name="once", url="/flaky/i", retry=RetryPolicy(attempts=1))
        )
        result = await client.get("once", params={"fail": 1})
    assert result.meta["attempts"] == 1


async def test_breaker_opens_on_5xx_per_host(server: TestServer) -> None:
    config = BreakerConfig(minimum_calls=3, window_size=3, open_duration=60)
    async with UniversalAPIClient(server.url, retry=None, breaker=config) as client:
        for _ in range(3):
            await client.get("/status/500")
        rejected = await client.get("/posts")
        host = server.url.removeprefix("http://")
        breaker = client.breaker_for(host)
        stats = client.stats()
    assert rejected.kind is ErrorKind.CIRCUIT_OPEN
    assert rejected.meta["retry_after"] > 0
    assert server.hits["posts"] == 0
    assert breaker is not None
    assert breaker.state.value == "open"
    assert stats[f"GET {host}"].breaker_state == "open"


async def test_breaker_ignores_4xx_but_counts_408_and_429(server: TestServer) -> None:
    config = BreakerConfig(minimum_calls=3, window_size=3, open_duration=60)
    async with UniversalAPIClient(server.url, retry=None, breaker=config) as client:
        for code in (404, 400, 409, 422, 403):
            await client.get(f"/status/{code}")
        after_4xx = await client.get("/posts")
        for _ in range(3):
            await client.get("/status/429")
        after_429 = await client.get("/posts")
    assert after_4xx.is_success
    assert after_429.kind is ErrorKind.CIRCUIT_OPEN
    assert counts_as_breaker_failure(Result.fail("x", ErrorKind.TIMEOUT, meta={"status": 408}))
    assert not counts_as_breaker_failure(
        Result.fail("x", ErrorKind.HTTP_STATUS, meta={"status": 418})
    )
    assert counts_as_breaker_failure(Result.fail("x", ErrorKind.CONNECTION))
    assert not counts_as_breaker_failure(Result.ok(1))


async def test_429_pauses_every_task_sharing_the_bucket(server: TestServer) -> None:
    limiter = RateLimiter(1000, per=1.0)
    events: list[Any] = []
    async with UniversalAPIClient(server.url, retry=None, rate_limit=limiter) as client:
        client.add_listener(events.append)
        first = await client.get("/ratelimited", params={"reset": "1"})
        start = asyncio.get_running_loop().time()
        others = await asyncio.gather(*(client.get("/posts") for _ in range(3)))
        waited = asyncio.get_running_loop().time() - start
    assert first.kind is ErrorKind.RATE_LIMITED
    assert all(r.is_success for r in others)
    assert waited >= 0.8
    paused = [e for e in events if isinstance(e, RateLimitPaused)]
    assert paused
    assert paused[0].seconds == 1


async def test_429_without_headers_uses_the_default_pause(server: TestServer) -> None:
    limiter = RateLimiter(1000, per=1.0)
    async with UniversalAPIClient(
        server.url, retry=None, rate_limit=limiter, pause_on_429=0.3, rate_limit_key="shared"
    ) as client:
        await client.get("/status/429")
        decision = await limiter.try_acquire("shared")
    assert not decision.allowed
    assert 0 < (decision.retry_after or 0) <= 0.3


async def test_stats_and_events(server: TestServer) -> None:
    events: list[Any] = []
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        remove = client.add_listener(events.append)
        client.register_endpoint(APIEndpoint(name="posts", url="/posts"))
        for _ in range(4):
            await client.get("posts")
        await client.get("/flaky/s", params={"fail": 1})
        await client.get("/status/404")
        remove()
        await client.get("posts")
        stats = client.stats()
    posts = stats["posts"]
    assert posts.count == 5
    assert posts.successes == 5
    assert posts.success_rate == 1.0
    assert 0 < posts.latency_p50 <= posts.latency_p95 <= posts.latency_p99
    assert posts.throughput > 0
    assert posts.breaker_state == "closed"
    by_path = stats[f"GET {server.url.removeprefix('http://')}"]
    assert by_path.count == 2
    assert by_path.retries == 1
    assert dict(by_path.errors) == {"not_found": 1}
    finished = [e for e in events if isinstance(e, RequestFinished)]
    assert len(finished) == 6
    assert finished[0].ok
    assert finished[0].endpoint == "posts"
    assert finished[-1].kind is ErrorKind.NOT_FOUND
    assert finished[-1].status == 404


async def test_breaker_events_are_forwarded(server: TestServer) -> None:
    events: list[Any] = []
    config = BreakerConfig(minimum_calls=2, window_size=2)
    async with UniversalAPIClient(server.url, retry=None, breaker=config) as client:
        client.add_listener(events.append)
        await client.get("/status/503")
        await client.get("/status/503")
    assert any(isinstance(e, BreakerStateChanged) for e in events)


async def test_a_failing_listener_never_breaks_a_call(server: TestServer) -> None:
    def broken(event: object) -> None:
        raise RuntimeError(event)

    async with UniversalAPIClient(server.url) as client:
        client.add_listener(broken)
        result = await client.get("/posts")
    assert result.is_success
