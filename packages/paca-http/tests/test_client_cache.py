"""The cache hook: GET/HEAD go through ``cache.fetch``; unsafe successes invalidate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from paca.http._client import UniversalAPIClient
from paca.http._endpoint import APIEndpoint
from paca.resilience import RetryPolicy
from paca.result import ErrorKind

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from conftest import TestServer

    from paca.http._exchange import OutgoingRequest, RawResponse

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


class StandInCache:
    """Serves a stored response for a URL it has seen; records what it was given."""

    def __init__(self) -> None:
        self.stored: dict[str, RawResponse] = {}
        self.policies: list[object | None] = []
        self.invalidated: list[str] = []

    async def fetch(
        self,
        request: OutgoingRequest,
        origin: Callable[[OutgoingRequest], Awaitable[RawResponse]],
        policy: object | None,
    ) -> tuple[RawResponse, str]:
        self.policies.append(policy)
        if request.url in self.stored:
            return self.stored[request.url], "hit"
        response = await origin(request)
        if response.status == 200:
            self.stored[request.url] = response
        return response, "miss"

    async def invalidate(self, url: str) -> None:
        self.invalidated.append(url)
        self.stored.pop(url, None)


async def test_get_goes_through_the_cache(server: TestServer) -> None:
    cache = StandInCache()
    policy = object()
    async with UniversalAPIClient(server.url, cache=cache) as client:
        client.register_endpoint(APIEndpoint(name="posts", url="/posts", cache_policy=policy))
        first = await client.get("posts")
        second = await client.get("posts")
        stats = client.stats()["posts"]
    assert first.meta["from_cache"] is False
    assert first.meta["cache"] == "miss"
    assert second.meta["from_cache"] is True
    assert second.data == first.data
    assert server.hits["posts"] == 1
    assert cache.policies == [policy, policy]
    assert stats.cache_lookups == 2
    assert stats.cache_hit_rate == 0.5


async def test_origin_runs_the_full_retry_loop(server: TestServer) -> None:
    cache = StandInCache()
    async with UniversalAPIClient(server.url, cache=cache, retry=FAST) as client:
        result = await client.get("/flaky/c", params={"fail": 2})
        failed = await client.get("/status/404")
        refused = UniversalAPIClient("http://127.0.0.1:1", cache=cache, retry=None)
        async with refused:
            down = await refused.get("/x")
    assert result.is_success
    assert result.meta["attempts"] == 3
    assert failed.kind is ErrorKind.NOT_FOUND
    assert down.kind is ErrorKind.CONNECTION


async def test_unsafe_success_invalidates(server: TestServer) -> None:
    cache = StandInCache()
    async with UniversalAPIClient(server.url, cache=cache) as client:
        await client.get("/items")
        await client.post("/items", json={"a": 1})
        await client.post("/status/500")
        await client.get("/items")
    assert cache.invalidated == [f"{server.url}/items"]
    assert server.hits["items"] == 3


async def test_with_the_real_response_cache(httpbin_url: str) -> None:
    cache_module = pytest.importorskip("paca.http._cache")
    cache = cache_module.ResponseCache()
    async with UniversalAPIClient(httpbin_url, cache=cache) as client:
        first = await client.get("/cache/60")
        second = await client.get("/cache/60")
        etag_first = await client.get("/etag/abc")
        etag_second = await client.get("/etag/abc")
    assert first.is_success
    assert second.meta["from_cache"] is True
    assert etag_first.is_success
    assert etag_second.is_success
    assert etag_second.meta["cache"] in {"revalidated", "hit", "miss"}
