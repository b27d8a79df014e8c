"""subscribe_stream against small scripted aiohttp WebSocket servers of our own.

Each server runs one *behaviour* per connection (the last one repeats), records what the
client sent and how it closed, so the tests can check keep-alive, reconnects with fresh
tokens, rejections, protocol errors and the legacy graphql-ws protocol on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from paca.graphql._subscriptions import SubscriptionOptions, subscribe_stream
from paca.result import ErrorKind, Result

QUERY = "subscription { tick }"
TWS = "graphql-transport-ws"
LEGACY = "graphql-ws"


@dataclass
class Conn:
    headers: dict[str, str]
    started: float
    request: web.Request
    received: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    acked_at: float | None = None

    def types(self) -> list[str]:
        return [m["type"] for m in self.received]


Behaviour = Callable[[web.WebSocketResponse, Conn], Awaitable[None]]


async def recv(ws: web.WebSocketResponse, conn: Conn) -> dict[str, Any] | None:
    msg = await ws.receive()
    if msg.type is WSMsgType.TEXT:
        message: dict[str, Any] = json.loads(msg.data)
        conn.received.append(message)
        return message
    conn.close_code = ws.close_code
    return None


async def recv_type(ws: web.WebSocketResponse, conn: Conn, kind: str) -> dict[str, Any] | None:
    while (message := await recv(ws, conn)) is not None:
        if message["type"] == kind:
            return message
    return None


async def drain(ws: web.WebSocketResponse, conn: Conn) -> None:
    while await recv(ws, conn) is not None:
        pass


async def send(ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
    await ws.send_str(json.dumps(message))


class Server:
    def __init__(self, protocol: str, *behaviours: Behaviour) -> None:
        self.protocol = protocol
        self.behaviours = behaviours
        self.connections: list[Conn] = []
        self.url = ""

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=(self.protocol,) if self.protocol else ())
        await ws.prepare(request)
        conn = Conn(dict(request.headers), asyncio.get_running_loop().time(), request)
        self.connections.append(conn)
        behaviour = self.behaviours[min(len(self.connections), len(self.behaviours)) - 1]
        await behaviour(ws, conn)
        if not ws.closed:
            await drain(ws, conn)
        return ws


@contextlib.asynccontextmanager
async def serving(server: Server) -> AsyncIterator[Server]:
    app = web.Application()
    app.router.add_get("/graphql", server.handler)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"ws://{host}:{port}/graphql"
    try:
        yield server
    finally:
        await runner.cleanup()


def opts(**kwargs: Any) -> SubscriptionOptions:
    base: dict[str, Any] = {
        "ping_interval": 5.0,
        "pong_timeout": 5.0,
        "connect_timeout": 2.0,
        "close_timeout": 0.5,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
    }
    return SubscriptionOptions(**{**base, **kwargs})


async def collect(stream: AsyncIterator[Result[dict[str, Any]]]) -> list[Result[dict[str, Any]]]:
    return await asyncio.wait_for(_all(stream), 15)


async def _all(stream: AsyncIterator[Result[dict[str, Any]]]) -> list[Result[dict[str, Any]]]:
    return [r async for r in stream]


# -- behaviours --------------------------------------------------------------------------------


async def ack(ws: web.WebSocketResponse, conn: Conn) -> bool:
    if await recv_type(ws, conn, "connection_init") is None:
        return False
    await send(ws, {"type": "connection_ack"})
    conn.acked_at = asyncio.get_running_loop().time()
    return True


def serve_ticks(values: list[int], end: str = "complete", code: int = 1012) -> Behaviour:
    """Ack, then serve like :func:`serve_after_ack`."""
    serve = serve_after_ack(values, end, code)

    async def behaviour(ws: web.WebSocketResponse, conn: Conn) -> None:
        if await ack(ws, conn):
            await serve(ws, conn)

    return behaviour


async def silent_after_ack(ws: web.WebSocketResponse, conn: Conn) -> None:
    """Acknowledge, then read everything and answer nothing (no pong, no ka)."""
    if await ack(ws, conn):
        await drain(ws, conn)


def token_checker(used: list[str], then: Behaviour) -> Behaviour:
    """Accept only a token never seen before (then run ``then``); else close with 4403."""

    async def behaviour(ws: web.WebSocketResponse, conn: Conn) -> None:
        init = await recv_type(ws, conn, "connection_init")
        token = ((init or {}).get("payload") or {}).get("token")
        if not token or token in used:
            await ws.close(code=4403, message=b"Forbidden")
            return
        used.append(token)
        await send(ws, {"type": "connection_ack"})
        conn.acked_at = asyncio.get_running_loop().time()
        await then(ws, conn)

    return behaviour


def serve_after_ack(values: list[int], end: str = "complete", code: int = 1012) -> Behaviour:
    """Wait for the subscription, send ``values``, then complete or close with ``code``."""

    async def behaviour(ws: web.WebSocketResponse, conn: Conn) -> None:
        legacy = ws.ws_protocol == LEGACY
        start = await recv_type(ws, conn, "start" if legacy else "subscribe")
        if start is None:
            return
        for value in values:
            payload = {"data": {"tick": value}}
            await send(
                ws, {"id": start["id"], "type": "data" if legacy else "next", "payload": payload}
            )
        if end == "complete":
            await send(ws, {"id": start["id"], "type": "complete"})
        else:
            await ws.close(code=code)

    return behaviour


# -- keep-alive --------------------------------------------------------------------------------


async def test_a_server_that_stops_answering_pings_is_detected() -> None:
    server = Server(TWS, silent_after_ack, serve_ticks([1, 2]))
    async with serving(server):
        stream = subscribe_stream(
            server.url, QUERY, options=opts(ping_interval=0.2, pong_timeout=0.2)
        )
        results = await collect(stream)
    assert results == [Result.ok({"tick": 1}), Result.ok({"tick": 2})]
    silent, second = server.connections
    assert "ping" in silent.types()  # the client pinged, got no pong...
    assert silent.acked_at is not None
    # ...and gave up, not before ping_interval + pong_timeout (0.4 s), then reconnected. The exact
    # deadline is asserted on fake time in test_ws_protocol.py; here collect()'s guard fails the
    # test if the dead socket is never detected. No upper bound on wall time: machines are noisy.
    assert second.started - silent.acked_at > 0.3


async def test_pings_are_answered_and_a_live_server_is_kept() -> None:
    async def pong_then_serve(ws: web.WebSocketResponse, conn: Conn) -> None:
        if not await ack(ws, conn):
            return
        start = await recv_type(ws, conn, "subscribe")
        assert start is not None
        await send(ws, {"type": "ping"})
        for i in range(3):  # answer three client pings, then finish
            await recv_type(ws, conn, "ping")
            await send(ws, {"type": "pong"})
            await send(ws, {"id": start["id"], "type": "next", "payload": {"data": {"tick": i}}})
        await send(ws, {"id": start["id"], "type": "complete"})

    server = Server(TWS, pong_then_serve)
    async with serving(server):
        stream = subscribe_stream(server.url, QUERY, options=opts(ping_interval=0.05))
        results = await collect(stream)
    assert [r.unwrap() for r in results] == [{"tick": 0}, {"tick": 1}, {"tick": 2}]
    assert len(server.connections) == 1
    assert "pong" in server.connections[0].types()  # the server's ping was answered


# -- reconnect with a fresh token --------------------------------------------------------------


async def test_reconnect_calls_the_provider_again_and_resubscribes() -> None:
    used: list[str] = []
    server = Server(
        TWS,
        token_checker(used, serve_after_ack([1, 2], end="close", code=1012)),
        token_checker(used, serve_after_ack([3, 4])),
    )
    issued: list[str] = []

    async def fresh_token() -> dict[str, str]:
        await asyncio.sleep(0)
        issued.append(f"token-{len(issued) + 1}")
        return {"token": issued[-1]}

    headers_calls = 0

    def headers() -> dict[str, str]:
        nonlocal headers_calls
        headers_calls += 1
        return {"X-Attempt": str(headers_calls)}

    async with serving(server):
        stream = subscribe_stream(
            server.url,
            QUERY,
            {"room": "a"},
            init_payload_provider=fresh_token,
            headers_provider=headers,
            options=opts(),
        )
        results = await collect(stream)
    assert [r.unwrap() for r in results] == [{"tick": n} for n in (1, 2, 3, 4)]
    assert issued == used == ["token-1", "token-2"]
    assert [c.headers["X-Attempt"] for c in server.connections] == ["1", "2"]
    subscribes = [m for c in server.connections for m in c.received if m["type"] == "subscribe"]
    assert len(subscribes) == 2
    assert all(m["payload"] == {"query": QUERY, "variables": {"room": "a"}} for m in subscribes)


async def test_a_reused_token_is_rejected_with_auth_failure() -> None:
    used: list[str] = []
    serve_one = token_checker(used, serve_after_ack([1], end="close", code=1001))
    server = Server(TWS, serve_one)  # the same checker for every connection
    async with serving(server):
        stream = subscribe_stream(
            server.url, QUERY, init_payload_provider=lambda: {"token": "same"}, options=opts()
        )
        results = await collect(stream)
    assert results[0] == Result.ok({"tick": 1})
    assert len(results) == 2
    assert results[1].kind is ErrorKind.AUTH
    assert results[1].meta["close_code"] == 4403
    assert len(server.connections) == 2  # no third try after an auth rejection


# -- rejections and failures -------------------------------------------------------------------


@pytest.mark.parametrize("code", [4401, 4403])
async def test_auth_rejection_close_code_is_final(code: int) -> None:
    async def reject(ws: web.WebSocketResponse, conn: Conn) -> None:
        await recv_type(ws, conn, "connection_init")
        await ws.close(code=code, message=b"Forbidden")

    server = Server(TWS, reject)
    async with serving(server):
        results = await collect(subscribe_stream(server.url, QUERY, options=opts()))
    assert len(results) == 1
    assert results[0].kind is ErrorKind.AUTH
    assert results[0].meta == {"close_code": code, "attempts": 1}
    assert len(server.connections) == 1


async def http_status(status: int) -> list[Result[dict[str, Any]]]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status)

    app = web.Application()
    app.router.add_get("/graphql", handler)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        return await collect(
            subscribe_stream(f"ws://{host}:{port}/graphql", QUERY, options=opts(max_attempts=2))
        )
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("status", "kind", "attempts"),
    [
        (401, ErrorKind.AUTH, 1),
        (403, ErrorKind.AUTH, 1),
        (404, ErrorKind.HTTP_STATUS, 1),
        (429, ErrorKind.RATE_LIMITED, 2),
        (503, ErrorKind.UNAVAILABLE, 2),
    ],
)
async def test_http_status_at_the_handshake(status: int, kind: ErrorKind, attempts: int) -> None:
    results = await http_status(status)
    assert [(r.kind, r.meta.get("status")) for r in results] == [(kind, status)]
    assert results[0].meta["attempts"] == attempts


async def test_a_dropped_connection_reconnects() -> None:
    async def drop(ws: web.WebSocketResponse, conn: Conn) -> None:
        if await ack(ws, conn):
            start = await recv_type(ws, conn, "subscribe")
            assert start is not None
            await send(ws, {"id": start["id"], "type": "next", "payload": {"data": {"tick": 0}}})
            transport = conn.request.transport
            assert transport is not None
            transport.abort()

    async def restart(ws: web.WebSocketResponse, conn: Conn) -> None:
        if await ack(ws, conn):
            await recv_type(ws, conn, "subscribe")
            await ws.close(code=1011)

    server = Server(TWS, drop, restart, serve_ticks([1]))
    async with serving(server):
        results = await collect(subscribe_stream(server.url, QUERY, options=opts()))
    assert [r.unwrap() for r in results] == [{"tick": 0}, {"tick": 1}]
    assert len(server.connections) == 3


async def test_a_protocol_violation_is_final_and_closes_with_4004() -> None:
    async def garbage(ws: web.WebSocketResponse, conn: Conn) -> None:
        if await ack(ws, conn):
            await recv_type(ws, conn, "subscribe")
            await ws.send_str("this is not json")
            await drain(ws, conn)

    server = Server(TWS, garbage)
    async with serving(server):
        results = await collect(subscribe_stream(server.url, QUERY, options=opts()))
    assert len(results) == 1
    assert results[0].kind is ErrorKind.UNKNOWN
    assert "protocol error" in (results[0].error or "")
    assert server.connections[0].close_code == 4004


async def test_no_ack_within_connect_timeout_retries_then_gives_up() -> None:
    server = Server(TWS, drain)
    async with serving(server):
        stream = subscribe_stream(
            server.url, QUERY, options=opts(connect_timeout=0.2, max_attempts=2)
        )
        results = await collect(stream)
    assert len(results) == 1
    assert results[0].kind is ErrorKind.TIMEOUT
    assert results[0].meta["attempts"] == 2
    assert len(server.connections) == 2
    assert server.connections[0].close_code == 4504


async def test_a_server_without_the_subprotocol_is_final() -> None:
    server = Server("", serve_ticks([1]))
    async with serving(server):
        results = await collect(subscribe_stream(server.url, QUERY, options=opts()))
    assert len(results) == 1
    assert results[0].kind is ErrorKind.UNKNOWN
    assert "subprotocol" in (results[0].error or "")


async def test_an_operation_error_is_final() -> None:
    async def error(ws: web.WebSocketResponse, conn: Conn) -> None:
        if await ack(ws, conn):
            start = await recv_type(ws, conn, "subscribe")
            assert start is not None
            errors = [{"message": "nope", "extensions": {"code": "UNAUTHENTICATED"}}]
            await send(ws, {"id": start["id"], "type": "error", "payload": errors})

    server = Server(TWS, error)
    async with serving(server):
        results = await collect(subscribe_stream(server.url, QUERY, options=opts()))
    assert len(results) == 1
    assert results[0].kind is ErrorKind.AUTH  # from extensions.code
    assert results[0].meta["error_codes"] == ("UNAUTHENTICATED",)


async def test_a_failing_provider_is_a_final_failure_not_an_exception() -> None:
    def provider() -> dict[str, str]:
        msg = "vault down"
        raise OSError(msg)

    results = await collect(
        subscribe_stream("ws://127.0.0.1:9/graphql", QUERY, init_payload_provider=provider)
    )
    assert len(results) == 1
    assert results[0].kind is ErrorKind.AUTH
    assert isinstance(results[0].cause, OSError)


# -- closing from the client -------------------------------------------------------------------


async def test_break_sends_complete_and_closes() -> None:
    async def endless(ws: web.WebSocketResponse, conn: Conn) -> None:
        await ack(ws, conn)
        start = await recv_type(ws, conn, "subscribe")
        assert start is not None
        await send(ws, {"id": start["id"], "type": "next", "payload": {"data": {"tick": 0}}})
        await drain(ws, conn)

    server = Server(TWS, endless)
    async with serving(server):
        async with contextlib.aclosing(
            subscribe_stream(server.url, QUERY, options=opts())
        ) as stream:
            async for result in stream:
                assert result.unwrap() == {"tick": 0}
                break
        for _ in range(100):
            if server.connections[0].close_code is not None:
                break
            await asyncio.sleep(0.01)
    conn = server.connections[0]
    assert conn.types()[-1] == "complete"
    assert conn.close_code == 1000


# -- legacy graphql-ws -------------------------------------------------------------------------


def legacy_server(values: list[int], keepalive: bool = True) -> Behaviour:
    async def behaviour(ws: web.WebSocketResponse, conn: Conn) -> None:
        init = await recv_type(ws, conn, "connection_init")
        if init is None:
            return
        if (init.get("payload") or {}).get("token") == "bad":
            await send(ws, {"type": "connection_error", "payload": {"message": "bad token"}})
            await ws.close()
            return
        await send(ws, {"type": "connection_ack"})
        if keepalive:
            await send(ws, {"type": "ka"})
        start = await recv_type(ws, conn, "start")
        if start is None:
            return
        for value in values:
            await send(ws, {"id": start["id"], "type": "data", "payload": {"data": {"n": value}}})
            if keepalive:
                await send(ws, {"type": "ka"})
        await send(ws, {"id": start["id"], "type": "complete"})

    return behaviour


async def test_legacy_protocol_receives_then_completes() -> None:
    server = Server(LEGACY, legacy_server([1, 2, 3]))
    async with serving(server):
        stream = subscribe_stream(
            server.url,
            QUERY,
            {"x": 1},
            init_payload_provider=lambda: {"token": "ok"},
            options=opts(protocol="graphql-ws"),
        )
        results = await collect(stream)
    assert results == [Result.ok({"n": n}) for n in (1, 2, 3)]
    received = server.connections[0].received
    assert received[0] == {"type": "connection_init", "payload": {"token": "ok"}}
    assert received[1]["type"] == "start"
    assert received[1]["payload"] == {"query": QUERY, "variables": {"x": 1}}


async def test_legacy_connection_error_is_an_auth_failure() -> None:
    server = Server(LEGACY, legacy_server([1]))
    async with serving(server):
        stream = subscribe_stream(
            server.url,
            QUERY,
            init_payload_provider=lambda: {"token": "bad"},
            options=opts(protocol="graphql-ws"),
        )
        results = await collect(stream)
    assert [r.kind for r in results] == [ErrorKind.AUTH]
    assert len(server.connections) == 1


async def test_legacy_break_sends_stop_and_terminate() -> None:
    async def endless(ws: web.WebSocketResponse, conn: Conn) -> None:
        await ack(ws, conn)
        start = await recv_type(ws, conn, "start")
        assert start is not None
        await send(ws, {"id": start["id"], "type": "data", "payload": {"data": {"n": 0}}})
        await drain(ws, conn)

    server = Server(LEGACY, endless)
    async with serving(server):
        async with contextlib.aclosing(
            subscribe_stream(server.url, QUERY, options=opts(protocol="graphql-ws"))
        ) as stream:
            async for _ in stream:
                break
        for _ in range(100):
            if server.connections[0].close_code is not None:
                break
            await asyncio.sleep(0.01)
    assert server.connections[0].types()[-2:] == ["stop", "connection_terminate"]


async def test_legacy_silent_server_is_detected() -> None:
    server = Server(LEGACY, silent_after_ack, legacy_server([7]))
    async with serving(server):
        stream = subscribe_stream(
            server.url,
            QUERY,
            options=opts(protocol="graphql-ws", ping_interval=0.2, pong_timeout=0.2),
        )
        results = await collect(stream)
    assert results == [Result.ok({"n": 7})]
    silent, second = server.connections
    assert silent.acked_at is not None
    assert second.started - silent.acked_at > 0.3  # deadline on fake time: test_ws_protocol_legacy
