"""The dispatcher: routing, backoff, acknowledgements that never wait for handlers, stopping."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from paca.webhooks._dispatch import Router, WebhookEvent, backoff_delay
from paca.webhooks._handler import WebhookHandler
from paca.webhooks._webhook_events import WebhookAcknowledged

if TYPE_CHECKING:
    from paca.webhooks._inbox import Inbox


async def noop(event: WebhookEvent) -> None:
    return None


async def other(event: WebhookEvent) -> None:
    return None


def test_router_matches_exact_then_prefix_then_any() -> None:
    router = Router()
    router.add("*", other)
    router.add("invoice.*", noop)
    router.add("invoice.paid", other)
    router.add("invoice.paid", noop)
    assert router.match("invoice.paid") == [other, noop, noop, other]
    assert router.match("invoice.line.added") == [noop, other]
    assert router.match("invoicex") == [other]
    assert router.match("customer.created") == [other]


@pytest.mark.parametrize("pattern", ["", "*.paid", "inv*", "a.*.b", ".*", "**"])
def test_router_refuses_other_patterns(pattern: str) -> None:
    with pytest.raises(ValueError, match="route"):
        Router().add(pattern, noop)


def test_router_refuses_non_callables() -> None:
    with pytest.raises(TypeError):
        Router().add("x", "not a function")  # type: ignore[arg-type]


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    base=st.floats(min_value=0, max_value=100),
    cap=st.floats(min_value=0, max_value=1000),
    seed=st.integers(),
)
def test_backoff_stays_in_its_window(attempt: int, base: float, cap: float, seed: int) -> None:
    delay = backoff_delay(attempt, base=base, cap=cap, rng=random.Random(seed))
    assert 0 <= delay <= min(cap, base * 2.0 ** min(attempt - 1, 1000))


def test_dispatcher_validates_its_options(verifier: Any, tmp_path: Any) -> None:
    from paca.webhooks._inbox_sqlite import SQLiteInbox

    inbox = SQLiteInbox(tmp_path / "x.db")
    for options in ({"workers": 0}, {"handler_timeout": 0}, {"base_delay": 5, "max_delay": 1}):
        with pytest.raises(ValueError, match=r"must|need"):
            WebhookHandler(verifier=verifier, inbox=inbox, **options)


async def test_slow_handler_does_not_delay_acknowledgements(
    inbox: Inbox, verifier: Any, delivery: Any
) -> None:
    """A handler that never finishes (the issue's "sleeps 30 s") leaves acks fast."""
    never = asyncio.Event()
    started: list[str] = []
    hooks = WebhookHandler(verifier=verifier, inbox=inbox, workers=2, poll=0.02)

    @hooks.on("*")
    async def stuck(event: WebhookEvent) -> None:
        started.append(event.id)
        await never.wait()

    latencies: list[float] = []
    hooks.add_listener(
        lambda e: latencies.append(e.latency) if isinstance(e, WebhookAcknowledged) else None
    )
    client: TestClient[Any, Any] = TestClient(TestServer(hooks.create_app(path="/h")))
    await client.start_server()
    await hooks.start()
    round_trips: list[float] = []
    try:
        for i in range(200):
            body, headers = delivery(f"evt_{i}")
            t0 = time.perf_counter()
            response = await client.post("/h", data=body, headers=headers)
            round_trips.append(time.perf_counter() - t0)
            assert response.status == 200
        assert 1 <= len(started) <= 2  # both workers are stuck on their first event
    finally:
        await hooks.stop(drain_timeout=0.05)  # cancels the stuck handlers
        await client.close()
    assert len(latencies) == 200
    p50 = statistics.median(round_trips)
    p99 = statistics.quantiles(round_trips, n=100)[98]
    print(f"ack round trip p50={p50 * 1000:.2f} ms p99={p99 * 1000:.2f} ms (issue: p99 < 200 ms)")
    # No bound on wall time here (shared, noisy machines): every delivery above was answered 200
    # while both workers were stuck, which is what proves acknowledging never waits on handlers.


async def test_stop_releases_cancelled_events_for_a_later_attempt(
    inbox: Inbox, verifier: Any, delivery: Any
) -> None:
    never = asyncio.Event()
    hooks = WebhookHandler(verifier=verifier, inbox=inbox, workers=1, poll=0.02)
    seen: list[int] = []

    @hooks.on("*")
    async def stuck(event: WebhookEvent) -> None:
        seen.append(event.attempt)
        if len(seen) == 1:
            await never.wait()

    client: TestClient[Any, Any] = TestClient(TestServer(hooks.create_app(path="/h")))
    await client.start_server()
    try:
        body, headers = delivery("evt_stop")
        assert (await client.post("/h", data=body, headers=headers)).status == 200
        await hooks.start()
        for _ in range(500):
            if seen:
                break
            await asyncio.sleep(0.01)
        await hooks.stop(drain_timeout=0.05)
        await hooks.start()
        for _ in range(500):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
        assert seen == [1, 2]
    finally:
        await hooks.stop(drain_timeout=0.05)
        await client.close()


async def test_a_worker_survives_an_inbox_that_fails_to_record(
    sqlite_inbox: Any, verifier: Any
) -> None:
    """complete() failing once leaves the event claimed; it is processed again after its lease."""
    hooks = WebhookHandler(verifier=verifier, inbox=sqlite_inbox, workers=1, poll=0.02, lease=0.2)
    runs: list[int] = []

    @hooks.on("*")
    async def handler(event: WebhookEvent) -> None:
        runs.append(event.attempt)

    real_complete = sqlite_inbox.complete
    failures = [RuntimeError("inbox down")]

    async def flaky_complete(event: Any) -> None:
        if failures:
            raise failures.pop()
        await real_complete(event)

    sqlite_inbox.complete = flaky_complete
    assert await sqlite_inbox.put("default", "e", "t", b'{"type": "t"}', time.time())
    await hooks.start()
    try:
        for _ in range(300):
            if len(runs) == 2:
                break
            await asyncio.sleep(0.01)
    finally:
        await hooks.stop(drain_timeout=0.5)
    assert runs == [1, 2]
    assert await sqlite_inbox.count("processed") == 1


async def test_workers_prune_dedup_records_past_the_retention(
    sqlite_inbox: Any, verifier: Any
) -> None:
    now = [1_000_000.0]
    hooks = WebhookHandler(
        verifier=verifier, inbox=sqlite_inbox, retention=100.0, wall_clock=lambda: now[0]
    )
    assert await sqlite_inbox.put("default", "old", "t", b"{}", now[0] - 500)
    assert await sqlite_inbox.put("default", "recent", "t", b"{}", now[0] - 50)
    assert await hooks.run_once() == 2
    await hooks.start()
    await asyncio.sleep(0.05)
    await hooks.stop()
    assert await sqlite_inbox.count("processed") == 1
    assert await sqlite_inbox.put("default", "old", "t", b"{}", now[0])  # forgotten
    assert not await sqlite_inbox.put("default", "recent", "t", b"{}", now[0])
