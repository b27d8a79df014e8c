"""Responses to authenticated calls never leak between credentials through the cache."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from paca.http._auth import AuthManager
from paca.http._cache import ResponseCache
from paca.http._cache_policy import CachePolicy
from paca.http._client import UniversalAPIClient
from paca.http._endpoint import APIEndpoint

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def whoami() -> AsyncIterator[tuple[str, list[str]]]:
    """A server that says which credential it saw, with a response cacheable for a minute."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        who = request.headers.get("Authorization", "anonymous")
        seen.append(who)
        return web.json_response({"user": who}, headers={"Cache-Control": "max-age=60"})

    app = web.Application()
    app.router.add_get("/me", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_an_authenticated_response_is_not_stored_by_default(
    whoami: tuple[str, list[str]],
) -> None:
    url, seen = whoami
    cache = ResponseCache()
    async with UniversalAPIClient(url, cache=cache, auth=AuthManager.bearer("token-A")) as client:
        client.register_endpoint(APIEndpoint(name="me", url="/me"))
        first = await client.get("me")
        second = await client.get("me")
    assert first.data == second.data == {"user": "Bearer token-A"}
    assert second.meta["from_cache"] is False
    assert len(seen) == 2


async def test_stored_authenticated_responses_are_partitioned_by_credential(
    whoami: tuple[str, list[str]],
) -> None:
    url, seen = whoami
    cache = ResponseCache()  # shared by both clients, as in one process serving two users
    endpoint = APIEndpoint(name="me", url="/me", cache_policy=CachePolicy(store_authenticated=True))
    async with (
        UniversalAPIClient(url, cache=cache, auth=AuthManager.bearer("token-A")) as alice,
        UniversalAPIClient(url, cache=cache, auth=AuthManager.bearer("token-B")) as bob,
    ):
        alice.register_endpoint(endpoint)
        bob.register_endpoint(endpoint)
        a1, a2 = await alice.get("me"), await alice.get("me")
        b1 = await bob.get("me")
    assert a1.data == a2.data == {"user": "Bearer token-A"}
    assert a2.meta["from_cache"] is True
    assert b1.data == {"user": "Bearer token-B"}  # never alice's stored answer
    assert b1.meta["from_cache"] is False
    assert seen == ["Bearer token-A", "Bearer token-B"]


async def test_an_anonymous_call_is_cached_as_usual(whoami: tuple[str, list[str]]) -> None:
    url, seen = whoami
    async with UniversalAPIClient(url, cache=ResponseCache()) as client:
        client.register_endpoint(APIEndpoint(name="me", url="/me"))
        await client.get("me")
        again = await client.get("me")
    assert again.meta["from_cache"] is True
    assert seen == ["anonymous"]
