"""SubscriptionOptions validation, the backoff rule, and timers driven by a FakeClock."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import WSMsgType, web
from hypothesis import given
from hypothesis import strategies as st

from paca.graphql._subscription_options import reconnect_delay
from paca.graphql._subscriptions import SubscriptionOptions, subscribe_stream
from paca.resilience import FakeClock, MonotonicClock
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class RecordingClock(FakeClock):
    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await super().sleep(seconds)


async def until(condition: Any, timeout: float = 5.0) -> None:
    """Poll real time until ``condition()`` holds (the I/O side runs on the real loop)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            pytest.fail("condition not reached")
        await asyncio.sleep(0.005)


# -- options -----------------------------------------------------------------------------------


def test_defaults() -> None:
    options = SubscriptionOptions()
    assert options.protocol == "graphql-transport-ws"
    assert options.ping_interval == 15.0
    assert options.max_attempts == 10
    assert isinstance(options.clock, MonotonicClock)
    assert "rng" not in repr(options)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"protocol": "graphql-sse"}, "protocol"),
        ({"ping_interval": 0}, "ping_interval"),
        ({"ping_interval": float("inf")}, "ping_interval"),
        ({"pong_timeout": -1}, "pong_timeout"),
        ({"connect_timeout": float("nan")}, "connect_timeout"),
        ({"close_timeout": "1"}, "close_timeout"),
        ({"backoff_max": 0}, "backoff_max"),
        ({"backoff_base": -0.1}, "backoff_base"),
        ({"backoff_base": float("inf")}, "backoff_base"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 1.5}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
    ],
)
def test_bad_options_name_the_parameter(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        SubscriptionOptions(**kwargs)


def test_keepalive_and_attempt_limits_can_be_turned_off() -> None:
    options = SubscriptionOptions(ping_interval=None, max_attempts=None, backoff_base=0)
    assert options.ping_interval is None
    assert options.max_attempts is None


@given(
    failures=st.integers(0, 10_000),
    base=st.floats(0, 100),
    cap=st.floats(0.001, 1000),
    seed=st.integers(0, 2**32),
)
def test_reconnect_delay_is_full_jitter_within_bounds(
    failures: int, base: float, cap: float, seed: int
) -> None:
    delay = reconnect_delay(failures, base=base, cap=cap, rng=random.Random(seed))
    assert 0 <= delay <= min(cap, base * 2.0 ** min(max(failures, 1) - 1, 1000))


def test_reconnect_delay_windows_double_up_to_the_cap() -> None:
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    windows = [reconnect_delay(n, base=1.0, cap=10.0, rng=Top()) for n in range(6)]
    assert windows == [1.0, 1.0, 2.0, 4.0, 8.0, 10.0]


# -- a fake clock drives the backoff and the keep-alive ----------------------------------------


async def test_backoff_sleeps_on_the_clock_between_refused_attempts() -> None:
    clock = RecordingClock()
    options = SubscriptionOptions(
        max_attempts=3, backoff_base=1.0, backoff_max=10.0, clock=clock, rng=random.Random(7)
    )
    stream = subscribe_stream("ws://127.0.0.1:9/graphql", "subscription { x }", options=options)
    task = asyncio.create_task(_all(stream))
    while not task.done():
        await until(lambda: clock.sleepers == 1 or task.done())
        await clock.advance(10.0)
    results = await asyncio.wait_for(task, 5)
    assert [r.kind for r in results] == [ErrorKind.CONNECTION]
    assert results[0].meta["attempts"] == 3
    rng = random.Random(7)
    assert clock.slept == [
        reconnect_delay(1, base=1.0, cap=10.0, rng=rng),
        reconnect_delay(2, base=1.0, cap=10.0, rng=rng),
    ]


async def _all(stream: AsyncIterator[Result[dict[str, Any]]]) -> list[Result[dict[str, Any]]]:
    return [r async for r in stream]


async def test_keepalive_runs_on_the_injected_clock() -> None:
    """With a FakeClock nothing times out until the test moves time: deterministic."""
    seen: list[list[str]] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("graphql-transport-ws",))
        await ws.prepare(request)
        types: list[str] = []
        seen.append(types)
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            message = json.loads(msg.data)
            types.append(message["type"])
            if message["type"] == "connection_init":
                await ws.send_str(json.dumps({"type": "connection_ack"}))
            elif message["type"] == "subscribe" and len(seen) == 2:
                payload = {"data": {"x": 1}}
                await ws.send_str(
                    json.dumps({"id": message["id"], "type": "next", "payload": payload})
                )
                await ws.send_str(json.dumps({"id": message["id"], "type": "complete"}))
        return ws

    app = web.Application()
    app.router.add_get("/graphql", handler)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    clock = RecordingClock()
    options = SubscriptionOptions(
        ping_interval=30.0, pong_timeout=10.0, connect_timeout=5.0, backoff_base=0.0, clock=clock
    )
    try:
        stream = subscribe_stream(
            f"ws://{host}:{port}/graphql", "subscription { x }", options=options
        )
        task = asyncio.create_task(_all(stream))
        await until(lambda: seen and "subscribe" in seen[0] and clock.sleepers == 1)
        assert clock.slept[-1] == pytest.approx(30.0)  # waiting to ping
        await clock.advance(29.0)
        assert seen[0].count("ping") == 0
        await clock.advance(1.0)
        await until(lambda: "ping" in seen[0] and clock.sleepers == 1)
        assert clock.slept[-1] == pytest.approx(10.0)  # waiting for the pong
        assert len(seen) == 1
        await clock.advance(10.0)  # no pong: the client reconnects
        results = await asyncio.wait_for(task, 5)
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
    assert results == [Result.ok({"x": 1})]
    assert len(seen) == 2
