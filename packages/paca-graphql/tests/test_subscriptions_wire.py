"""subscribe_stream against a raw TCP server: a handshake that never ends, broken frames."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from typing import TYPE_CHECKING, Any

from paca.graphql._subscriptions import SubscriptionOptions, subscribe_stream
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@contextlib.asynccontextmanager
async def raw_server(
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[str]:
    writers: list[asyncio.StreamWriter] = []

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError):
            await handler(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    key = next(
        line.split(":", 1)[1].strip()
        for line in head.split("\r\n")
        if line.lower().startswith("sec-websocket-key:")
    )
    digest = hashlib.sha1((key + WS_GUID).encode()).digest()  # noqa: S324 - RFC 6455 says SHA-1
    accept = base64.b64encode(digest).decode()
    writer.write(
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        ).encode()
    )
    await writer.drain()


def options(**kwargs: Any) -> SubscriptionOptions:
    return SubscriptionOptions(
        **{"connect_timeout": 0.3, "close_timeout": 0.2, "max_attempts": 1, **kwargs}
    )


async def collect(stream: AsyncIterator[Result[dict[str, Any]]]) -> list[Result[dict[str, Any]]]:
    async def run() -> list[Result[dict[str, Any]]]:
        return [r async for r in stream]

    return await asyncio.wait_for(run(), 10)


async def test_a_handshake_that_never_answers_times_out() -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up

    async with raw_server(mute) as url:
        results = await collect(subscribe_stream(url, "subscription { x }", options=options()))
    assert [r.kind for r in results] == [ErrorKind.TIMEOUT]
    assert "handshake" in (results[0].error or "")


async def test_a_broken_frame_ends_the_connection() -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await handshake(reader, writer)
        writer.write(b"\x83\x00")  # FIN + reserved opcode 0x3: a protocol error
        await writer.drain()
        await reader.read()

    async with raw_server(broken) as url:
        results = await collect(subscribe_stream(url, "subscription { x }", options=options()))
    assert len(results) == 1
    assert not results[0].is_success
    assert results[0].kind in (ErrorKind.CONNECTION, ErrorKind.UNKNOWN)


async def test_eof_after_the_handshake_reconnects_then_gives_up() -> None:
    connections = 0

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await handshake(reader, writer)
        writer.close()

    async with raw_server(hang_up) as url:
        stream = subscribe_stream(
            url, "subscription { x }", options=options(max_attempts=2, backoff_base=0.01)
        )
        results = await collect(stream)
    assert [r.kind for r in results] == [ErrorKind.CONNECTION]
    assert results[0].meta["attempts"] == 2
    assert connections == 2
