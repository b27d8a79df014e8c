"""Malformed framing headers sent over a plain socket: a 4xx, never a 500, nothing stored.

An HTTP client library will not send these (aiohttp refuses an empty ``Content-Length``), but a
misbehaving sender or a scanner will, so they are written here byte by byte.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp.test_utils import TestServer

from paca.webhooks._handler import WebhookHandler

if TYPE_CHECKING:
    from paca.webhooks._inbox_sqlite import SQLiteInbox

PATH = "/hooks"
BODY = b'{"type": "invoice.paid", "id": "evt_raw"}'


async def exchange(port: int, head: bytes, body: bytes) -> int:
    """Send one request as raw bytes and return the status code of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + b"\r\n" + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: \r\n",
        b"Content-Length: -1\r\n",
        b"Content-Length: abc\r\n",
        b"Content-Length: 1e3\r\n",
        b"Content-Length: 5\r\nContent-Length: 6\r\n",
        b"Content-Length: 99999999999999999999999\r\n",
        b"Transfer-Encoding: gzip\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    ],
    ids=["empty", "negative", "text", "float", "twice", "huge", "te-unknown", "te-and-cl"],
)
async def test_malformed_framing_is_a_4xx_and_stores_nothing(
    framing: bytes, sqlite_inbox: SQLiteInbox, verifier: Any, sign: Any
) -> None:
    hooks = WebhookHandler(verifier=verifier, inbox=sqlite_inbox, max_body_size=1024)
    server = TestServer(hooks.create_app(path=PATH))
    await server.start_server()
    try:
        signature = "".join(f"{name}: {value}\r\n" for name, value in sign(BODY).items())
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{signature}Connection: close\r\n"
        ).encode() + framing
        status = await exchange(server.port or 0, head, BODY)
        assert 400 <= status < 500, status
        assert await sqlite_inbox.count("pending") == 0
    finally:
        await server.close()
