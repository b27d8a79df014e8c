"""subscribe_stream against a real strawberry server over graphql-transport-ws (and graphql-ws)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncGenerator  # noqa: TC003 - strawberry resolves it at runtime
from typing import TYPE_CHECKING, Any

import pytest
import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView
from strawberry.exceptions import ConnectionRejectionError

from paca.graphql._subscriptions import SubscriptionOptions, subscribe_stream
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

FAST = {"ping_interval": 0.5, "pong_timeout": 0.5, "connect_timeout": 2.0, "backoff_base": 0.01}


class _Tracker:
    def __init__(self) -> None:
        self.started = 0
        self.stopped = 0
        self.stopped_event = asyncio.Event()
        self.connection_params: list[Any] = []


TRACKER = _Tracker()


@strawberry.type
class Query:
    hello: str = "world"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int = 3) -> AsyncGenerator[int, None]:
        for i in range(to):
            yield i
            await asyncio.sleep(0)

    @strawberry.subscription
    async def forever(self) -> AsyncGenerator[int, None]:
        TRACKER.started += 1
        try:
            i = 0
            while True:
                yield i
                i += 1
                await asyncio.sleep(0.01)
        finally:
            TRACKER.stopped += 1
            TRACKER.stopped_event.set()

    @strawberry.subscription
    async def broken(self) -> AsyncGenerator[int, None]:
        yield 1
        msg = "the source failed"
        raise RuntimeError(msg)


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)


class _View(GraphQLView[Any, Any]):
    async def on_ws_connect(self, context: dict[str, object]) -> Any:
        params = context.get("connection_params")
        TRACKER.connection_params.append(params)
        if isinstance(params, dict) and params.get("token") == "bad":
            raise ConnectionRejectionError({"reason": "bad token"})
        return await super().on_ws_connect(context)


@pytest.fixture
async def graphql_ws_url() -> AsyncIterator[str]:
    global TRACKER  # noqa: PLW0603 - one tracker per test, read by the schema's resolvers
    TRACKER = _Tracker()
    app = web.Application()
    app.router.add_route("*", "/graphql", _View(schema=SCHEMA))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"ws://{host}:{port}/graphql"
    finally:
        await runner.cleanup()


async def _collect(stream: AsyncIterator[Result[dict[str, Any]]]) -> list[Result[dict[str, Any]]]:
    return [result async for result in stream]


async def test_receives_n_messages_then_complete(graphql_ws_url: str) -> None:
    stream = subscribe_stream(
        graphql_ws_url,
        "subscription Count($to: Int!) { count(to: $to) }",
        {"to": 4},
        options=SubscriptionOptions(**FAST),
    )
    results = await asyncio.wait_for(_collect(stream), 10)
    assert results == [Result.ok({"count": i}) for i in range(4)]


async def test_operation_name_is_sent(graphql_ws_url: str) -> None:
    document = "subscription A { count(to: 1) } subscription B { count(to: 2) }"
    stream = subscribe_stream(graphql_ws_url, document, operation_name="B")
    results = await asyncio.wait_for(_collect(stream), 10)
    assert [r.unwrap() for r in results] == [{"count": 0}, {"count": 1}]


async def test_init_payload_reaches_the_server(graphql_ws_url: str) -> None:
    async def provider() -> dict[str, str]:
        return {"token": "good"}

    stream = subscribe_stream(
        graphql_ws_url, "subscription { count(to: 1) }", init_payload_provider=provider
    )
    assert len(await asyncio.wait_for(_collect(stream), 10)) == 1
    assert TRACKER.connection_params == [{"token": "good"}]


async def test_break_under_aclosing_sends_complete(graphql_ws_url: str) -> None:
    got = []
    async with contextlib.aclosing(
        subscribe_stream(graphql_ws_url, "subscription { forever }")
    ) as stream:
        async for result in stream:
            got.append(result.unwrap())
            if len(got) == 3:
                break
    await asyncio.wait_for(TRACKER.stopped_event.wait(), 5)
    assert got == [{"forever": 0}, {"forever": 1}, {"forever": 2}]
    assert TRACKER.started == TRACKER.stopped == 1


async def test_plain_break_closes_when_the_generator_is_collected(graphql_ws_url: str) -> None:
    async def consume() -> None:
        async for result in subscribe_stream(graphql_ws_url, "subscription { forever }"):
            assert result.is_success
            break

    await consume()
    gc.collect()
    await asyncio.wait_for(TRACKER.stopped_event.wait(), 5)
    assert TRACKER.stopped == 1


async def test_cancelling_the_consumer_stops_the_subscription(graphql_ws_url: str) -> None:
    first = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(
            subscribe_stream(graphql_ws_url, "subscription { forever }")
        ) as stream:
            async for _ in stream:
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(TRACKER.stopped_event.wait(), 5)


async def test_auth_rejection_4403_ends_with_an_auth_failure(graphql_ws_url: str) -> None:
    calls = 0

    def provider() -> dict[str, str]:
        nonlocal calls
        calls += 1
        return {"token": "bad"}

    stream = subscribe_stream(
        graphql_ws_url,
        "subscription { count }",
        init_payload_provider=provider,
        options=SubscriptionOptions(**FAST),
    )
    results = await asyncio.wait_for(_collect(stream), 10)
    assert len(results) == 1
    assert results[0].kind is ErrorKind.AUTH
    assert results[0].meta["close_code"] == 4403
    assert calls == 1  # final: no reconnect


async def test_invalid_document_ends_with_a_failure(graphql_ws_url: str) -> None:
    stream = subscribe_stream(graphql_ws_url, "subscription { nope }")
    results = await asyncio.wait_for(_collect(stream), 10)
    assert len(results) == 1
    assert not results[0].is_success
    assert results[0].kind is ErrorKind.QUERY
    assert "nope" in (results[0].error or "")
    assert results[0].meta["errors"]


async def test_errors_in_a_payload_are_a_failed_result(graphql_ws_url: str) -> None:
    stream = subscribe_stream(graphql_ws_url, "subscription { broken }")
    results = await asyncio.wait_for(_collect(stream), 10)
    assert results[0] == Result.ok({"broken": 1})
    failed = results[1]
    assert not failed.is_success
    assert failed.kind is ErrorKind.QUERY
    assert "the source failed" in (failed.error or "")
    assert failed.meta["errors"][0]["message"] == "the source failed"


async def test_legacy_graphql_ws_against_strawberry(graphql_ws_url: str) -> None:
    stream = subscribe_stream(
        graphql_ws_url,
        "subscription { count(to: 3) }",
        options=SubscriptionOptions(protocol="graphql-ws", **FAST),
    )
    results = await asyncio.wait_for(_collect(stream), 10)
    assert results == [Result.ok({"count": i}) for i in range(3)]


async def test_connection_refused_after_the_last_attempt() -> None:
    stream = subscribe_stream(
        "ws://127.0.0.1:9/graphql",
        "subscription { count }",
        options=SubscriptionOptions(max_attempts=3, backoff_base=0.01, backoff_max=0.02),
    )
    results = await asyncio.wait_for(_collect(stream), 10)
    assert len(results) == 1
    assert results[0].kind is ErrorKind.CONNECTION
    assert results[0].meta["attempts"] == 3


async def test_http_404_handshake_is_final() -> None:
    app = web.Application()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        stream = subscribe_stream(f"ws://{host}:{port}/missing", "subscription { count }")
        results = await asyncio.wait_for(_collect(stream), 10)
    finally:
        await runner.cleanup()
    assert [r.kind for r in results] == [ErrorKind.HTTP_STATUS]
    assert results[0].meta["status"] == 404


async def test_variables_that_are_not_json_are_a_validation_failure() -> None:
    stream = subscribe_stream("ws://127.0.0.1:9/graphql", "subscription { x }", {"at": object()})
    results = await _collect(stream)
    assert [r.kind for r in results] == [ErrorKind.VALIDATION]


async def test_an_init_payload_that_is_not_json_is_final(graphql_ws_url: str) -> None:
    stream = subscribe_stream(
        graphql_ws_url,
        "subscription { count }",
        init_payload_provider=lambda: {"token": {1, 2}},
        options=SubscriptionOptions(**FAST),
    )
    results = await asyncio.wait_for(_collect(stream), 10)
    assert [r.kind for r in results] == [ErrorKind.VALIDATION]
    assert "connection_init" in (results[0].error or "")


async def test_an_unexpected_defect_is_reported_not_raised(
    graphql_ws_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paca.graphql import _subscriptions

    async def broken(self: object) -> None:
        msg = "a bug"
        raise RuntimeError(msg)

    monkeypatch.setattr(_subscriptions._Connection, "next", broken)
    stream = subscribe_stream(graphql_ws_url, "subscription { count }")
    results = await asyncio.wait_for(_collect(stream), 10)
    assert [r.kind for r in results] == [ErrorKind.UNKNOWN]
    assert isinstance(results[0].cause, RuntimeError)
