"""Real servers for the paca-http tests: httpbin (threaded WSGI) and our own aiohttp app.

``httpbin_url``: the ``httpbin`` package served by werkzeug on 127.0.0.1, port 0, in a daemon
thread, once per session (stopped cleanly at the end).

``server``: an ``aiohttp.web`` application on 127.0.0.1, port 0, per test, with endpoints for
counted attempts, flaky answers, ``Retry-After``, rate-limit headers, slow bodies, connection
resets, pagination, uploads and downloads. ``server.hits[name]`` counts requests.

``fakes``: the fakes of the ``ResponseCache`` tests, no network: a fake origin (counted
calls, an optional gate), response and request builders, and ``settle()`` to let tasks run.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from multidict import CIMultiDict

from paca.http._exchange import OutgoingRequest, RawResponse

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator


@pytest.fixture(scope="session")
def httpbin_url() -> Iterator[str]:
    logging.getLogger("httpbin").setLevel(logging.ERROR)
    import httpbin
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, httpbin.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="httpbin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class TestServer:
    url: str
    hits: Counter[str] = field(default_factory=Counter)
    seen: list[dict[str, Any]] = field(default_factory=list)


def _app(state: TestServer) -> web.Application:  # noqa: PLR0915 - one route table
    routes = web.RouteTableDef()

    def hit(request: web.Request, name: str) -> int:
        state.hits[name] += 1
        state.seen.append(
            {
                "name": name,
                "method": request.method,
                "headers": dict(request.headers),
                "query": list(request.query.items()),
            }
        )
        return state.hits[name]

    @routes.get("/posts")
    async def posts(request: web.Request) -> web.Response:
        hit(request, "posts")
        return web.json_response([{"id": 1, "title": "hello"}, {"id": 2, "title": "world"}])

    @routes.route("*", "/echo/{tail:.*}")
    async def echo(request: web.Request) -> web.Response:
        hit(request, "echo")
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "path": request.raw_path,
                "query": list(request.query.items()),
                "headers": dict(request.headers),
                "body": body.decode("utf-8", "replace"),
            }
        )

    @routes.route("*", "/status/{code}")
    async def status(request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        hit(request, f"status{code}")
        headers = {k[2:]: v for k, v in request.query.items() if k.startswith("h_")}
        return web.Response(status=code, text=request.query.get("body", ""), headers=headers)

    @routes.route("*", "/flaky/{key}")
    async def flaky(request: web.Request) -> web.Response:
        """Fail ``fail`` times with ``status`` (default 503), then answer 200."""
        count = hit(request, request.match_info["key"])
        if count <= int(request.query.get("fail", "1")):
            headers = {}
            if "retry_after" in request.query:
                headers["Retry-After"] = request.query["retry_after"]
            return web.Response(status=int(request.query.get("status", "503")), headers=headers)
        return web.json_response({"attempt": count})

    @routes.get("/ratelimited")
    async def ratelimited(request: web.Request) -> web.Response:
        count = hit(request, "ratelimited")
        if count == 1:
            headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0"}
            headers["X-RateLimit-Reset"] = request.query.get("reset", "1")
            return web.Response(status=429, headers=headers)
        return web.json_response({"ok": True})

    @routes.get("/slow-body")
    async def slow_body(request: web.Request) -> web.StreamResponse:
        hit(request, "slow-body")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        await response.write(b"x" * 10)
        await asyncio.sleep(float(request.query.get("delay", "1")))
        await response.write(b"y" * 10)
        return response

    @routes.get("/reset")
    async def reset(request: web.Request) -> web.StreamResponse:
        """Send headers and part of the body, then cut the connection."""
        hit(request, "reset")
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"partial")
        assert request.transport is not None
        request.transport.close()
        return response

    @routes.get("/gzip")
    async def gzipped(request: web.Request) -> web.Response:
        hit(request, "gzip")
        body = gzip.compress(json.dumps({"gzipped": True}).encode())
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return web.Response(body=body, headers=headers)

    @routes.get("/text")
    async def text(request: web.Request) -> web.Response:
        return web.Response(text="héllo", content_type="text/plain", charset="latin-1")

    @routes.get("/bytes")
    async def raw_bytes(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01\x02", content_type="application/octet-stream")

    @routes.get("/bad-json")
    async def bad_json(request: web.Request) -> web.Response:
        return web.Response(text="{not json", content_type="application/json")

    @routes.get("/download")
    async def download(request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("size", "1000000"))
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        chunk = b"z" * 65536
        sent = 0
        while sent < size:
            part = chunk[: size - sent]
            await response.write(part)
            sent += len(part)
        return response

    @routes.post("/upload")
    async def upload(request: web.Request) -> web.Response:
        hit(request, "upload")
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
        return web.json_response({"size": size, "chunked": "chunked" in request.headers.get(
            "Transfer-Encoding", "")})  # fmt: skip

    @routes.get("/link-pages")
    async def link_pages(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        headers = {}
        if page < 3:
            headers["Link"] = f'<{state.url}/link-pages?page={page + 1}>; rel="next"'
        return web.json_response([page * 10 + 1, page * 10 + 2], headers=headers)

    @routes.get("/cursor-pages")
    async def cursor_pages(request: web.Request) -> web.Response:
        cursor = request.query.get("cursor", "a")
        following = {"a": "b", "b": "c", "c": None}[cursor]
        return web.json_response({"data": [cursor], "next_cursor": following})

    @routes.get("/numbered-pages")
    async def numbered_pages(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("per_page", "2"))
        items = list(range(5))[(page - 1) * size : page * size]
        return web.json_response(items)

    @routes.get("/offset-pages")
    async def offset_pages(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "2"))
        return web.json_response(list(range(5))[offset : offset + limit])

    @routes.route("*", "/items/{id}")
    async def item(request: web.Request) -> web.Response:
        hit(request, "item")
        if request.method == "DELETE":
            return web.Response(status=204)
        body = await request.json() if request.can_read_body else None
        item_id = request.match_info["id"]
        return web.json_response({"id": item_id, "method": request.method, "body": body})

    @routes.route("*", "/items")
    async def items(request: web.Request) -> web.Response:
        hit(request, "items")
        if request.method == "POST":
            return web.json_response({"created": await request.json()}, status=201)
        return web.json_response([{"id": "1"}])

    app = web.Application()
    app.add_routes(routes)
    return app


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    state = TestServer(url="")
    runner = web.AppRunner(_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


# -- the ResponseCache fakes ------------------------------------------------------------

Headers = dict[str, str] | list[tuple[str, str]]
CACHE_URL = "https://api.test/items"


class FakeOrigin:
    """A fake origin: answers with ``reply(request)``; records every request it got."""

    def __init__(self, reply: Callable[[OutgoingRequest], RawResponse] | None = None) -> None:
        self.reply = reply or (lambda _: CacheFakes.ok({"Cache-Control": "max-age=60"}))
        self.requests: list[OutgoingRequest] = []
        self.gate: asyncio.Event | None = None

    @property
    def calls(self) -> int:
        return len(self.requests)

    async def __call__(self, request: OutgoingRequest) -> RawResponse:
        self.requests.append(request)
        if self.gate is not None:
            await self.gate.wait()
        else:
            await asyncio.sleep(0)
        return self.reply(request)


class CacheFakes:
    """What the cache tests build with: ``Origin``, ``ok()``, ``get()``, ``settle()``, ``URL``."""

    URL = CACHE_URL
    Origin = FakeOrigin

    @staticmethod
    def ok(
        headers: Headers, body: bytes = b"v1", status: int = 200, url: str = CACHE_URL
    ) -> RawResponse:
        return RawResponse.build(status, headers, body, url)

    @staticmethod
    def get(
        url: str = CACHE_URL, headers: Headers | None = None, method: str = "GET", **kw: object
    ) -> OutgoingRequest:
        return OutgoingRequest(method, url, headers=CIMultiDict(headers or {}), **kw)  # type: ignore[arg-type]

    @staticmethod
    async def settle(turns: int = 20) -> None:
        for _ in range(turns):
            await asyncio.sleep(0)


@pytest.fixture
def fakes() -> type[CacheFakes]:
    return CacheFakes
