"""Plain calls (no per-call options) are prepared once per target: same outcome, kept current.

A plain call takes ``paca.http._client_plain.plain_call`` and a cached ``Route``; the same call
with an option that changes nothing (``headers={}``) takes the general path. Both must answer
the same, and a route must follow every change of what it was derived from.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import re
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from paca.http import _route
from paca.http._auth_protocol import AuthTicket, AuthVerdict
from paca.http._client import UniversalAPIClient
from paca.http._endpoint import APIEndpoint, EndpointError
from paca.http._exchange import RawResponse, received
from paca.http._http_events import RequestFinished
from paca.http._registry import APIRegistry
from paca.resilience import RetryPolicy
from paca.result import ErrorKind

if TYPE_CHECKING:
    from conftest import TestServer

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


def _comparable(meta: Any) -> dict[str, Any]:
    out = dict(meta)
    out.pop("elapsed")
    if "headers" in out:  # the Date header may tick between the two calls
        out["headers"] = sorted((k, v) for k, v in out["headers"].items() if k != "Date")
    return out


@pytest.mark.parametrize(
    "target",
    ["/posts", "/text", "/bytes", "/bad-json", "/status/404", "/status/204", "/flaky/k?fail=1"],
)
async def test_plain_and_general_paths_agree(server: TestServer, target: str) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as plain_client:
        plain = await plain_client.get(target)
        assert plain_client._routes  # the plain path was taken
    server.hits.clear()
    async with UniversalAPIClient(server.url, retry=FAST) as general_client:
        general = await general_client.get(target, headers={})
        assert not general_client._routes
    assert plain.is_success == general.is_success
    assert plain.kind == general.kind
    assert plain.error == general.error
    assert plain.data == general.data
    assert _comparable(plain.meta) == _comparable(general.meta)
    assert list(plain.meta) == list(general.meta)  # same keys, same order
    plain_stats, general_stats = plain_client.stats(), general_client.stats()
    assert plain_stats.keys() == general_stats.keys()
    for key, stats in plain_stats.items():
        other = general_stats[key]
        assert stats.count == other.count
        assert stats.successes == other.successes
        assert stats.retries == other.retries
        assert stats.errors == other.errors


async def test_plain_calls_emit_the_same_events(server: TestServer) -> None:
    events: list[Any] = []
    async with UniversalAPIClient(server.url) as client:
        client.add_listener(events.append)
        await client.get("/posts")
        await client.get("/posts", headers={})
        await client.get("/status/404")
        await client.get("/status/404", headers={})
    finished = [
        dataclasses.replace(event, elapsed=0.0)
        for event in events
        if isinstance(event, RequestFinished)
    ]
    assert len(finished) == 4
    assert finished[0] == finished[1]
    assert finished[2] == finished[3]
    assert finished[0].status == 200
    assert finished[0].ok
    assert finished[2].kind is ErrorKind.NOT_FOUND


async def test_removing_listeners_stops_events(server: TestServer) -> None:
    first: list[Any] = []
    second: list[Any] = []
    async with UniversalAPIClient(server.url) as client:
        remove_first = client.add_listener(first.append)
        remove_second = client.add_listener(second.append)
        await client.get("/posts")
        remove_first()
        await client.get("/posts")
        remove_second()
        remove_second()  # twice is harmless
        await client.get("/posts")
    assert len(first) == 1
    assert len(second) == 2


async def test_plain_and_general_calls_share_statistics(server: TestServer) -> None:
    async with UniversalAPIClient(server.url) as client:
        assert client.stats() == {}
        for _ in range(3):
            await client.get("/posts")
        await client.get("/posts", params={"page": 1})
        await client.get("/flaky/s?fail=1")
    (stats,) = client.stats().values()
    assert stats.name.startswith("GET 127.0.0.1:")
    assert stats.count == 5
    assert stats.successes == 5
    assert stats.retries == 1


class _CountingLimiter:
    """A limiter as the pipeline takes it (``acquire``): admits all, counts the calls."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def acquire(self, key: str = "default", cost: float = 1) -> Any:
        self.keys.append(key)
        return SimpleNamespace(allowed=True, retry_after=None)


class _HeaderAuth:
    """An auth provider adding one header."""

    def __init__(self, value: str) -> None:
        self.value = value

    async def apply(self, request: Any, session: Any) -> AuthTicket:
        request.headers["X-Auth"] = self.value
        return AuthTicket("test")

    def on_response(self, ticket: AuthTicket, status: int, headers: Any) -> AuthVerdict:
        return AuthVerdict.PROCEED

    def on_network_error(self, ticket: AuthTicket) -> None:
        return None


async def test_assigning_retry_rate_limit_or_auth_applies_to_the_next_plain_call(
    server: TestServer,
) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        retried = await client.get("/flaky/r?fail=10")
        client.retry = None
        not_retried = await client.get("/flaky/r?fail=10")
        await client.get("/echo/x")
        limiter = _CountingLimiter()
        client.rate_limit = limiter  # type: ignore[assignment]
        await client.get("/echo/x")
        await client.get("/echo/x")
        client.auth = _HeaderAuth("one")  # type: ignore[assignment]
        first = await client.get("/echo/x")
        client.auth = _HeaderAuth("two")  # type: ignore[assignment]
        second = await client.get("/echo/x")
        client.auth = None
        third = await client.get("/echo/x")
    assert retried.meta["attempts"] == 3
    assert not_retried.kind is ErrorKind.UNAVAILABLE
    assert not_retried.meta["attempts"] == 1
    assert len(limiter.keys) == 5
    assert first.data["headers"]["X-Auth"] == "one"
    assert second.data["headers"]["X-Auth"] == "two"
    assert "X-Auth" not in third.data["headers"]


async def test_a_new_registry_is_seen_by_plain_calls(server: TestServer) -> None:
    async with UniversalAPIClient(server.url) as client:
        client.register_endpoint(APIEndpoint(name="thing", url="/echo/old"))
        old = await client.get("thing")
        # a registry that changed as often as the old one: only the assignment tells
        client.registry = APIRegistry([APIEndpoint(name="thing", url="/echo/new")])
        new = await client.get("thing")
    assert old.data["path"] == "/echo/old"
    assert new.data["path"] == "/echo/new"


async def test_registry_changes_are_seen_by_plain_calls(server: TestServer) -> None:
    registry = APIRegistry([APIEndpoint(name="thing", url="/echo/one")])
    async with UniversalAPIClient(server.url, registry=registry) as client:
        one = await client.get("thing")
        client.register_endpoint(APIEndpoint(name="thing", url="/echo/two"), replace=True)
        two = await client.get("thing")
        registry.register(APIEndpoint(name="thing", url="/echo/three"), replace=True)
        three = await client.get("thing")
        registry.unregister("thing")
        with pytest.raises(EndpointError, match="neither a registered endpoint"):
            await client.get("thing")
        client.register_endpoint(APIEndpoint(name="thing", url="/echo/five", method="POST"))
        with pytest.raises(EndpointError, match="is POST, not GET"):
            await client.get("thing")
        five = await client.call("thing")
    paths = [r.data["path"] for r in (one, two, three, five)]
    assert paths == ["/echo/one", "/echo/two", "/echo/three", "/echo/five"]
    assert five.meta["endpoint"] == "thing"
    assert five.meta["method"] == "POST"


async def test_routes_are_bounded(server: TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_route, "MAX_ROUTES", 3)
    async with UniversalAPIClient(server.url) as client:
        for n in range(10):
            result = await client.get(f"/items/{n}")
            assert result.is_success
            assert len(client._routes) <= 3
        assert (await client.get("/items/9")).is_success
    (stats,) = client.stats().values()
    assert stats.count == 11


async def test_a_cache_gets_a_request_of_its_own(server: TestServer) -> None:
    seen: list[Any] = []

    class MutatingCache:
        async def fetch(self, request: Any, origin: Any, policy: Any) -> Any:
            seen.append(request)
            request.headers.setdefault("X-Seen", str(len(seen)))
            return await origin(request), "miss"

        async def invalidate(self, url: str) -> None:
            return None

    async with UniversalAPIClient(server.url, cache=MutatingCache()) as client:
        first = await client.get("/echo/c")
        second = await client.get("/echo/c")
        route = next(iter(client._routes.values()))
    assert first.data["headers"]["X-Seen"] == "1"
    assert second.data["headers"]["X-Seen"] == "2"
    assert seen[0] is not seen[1]
    assert route.request not in seen
    assert "X-Seen" not in route.request.headers
    assert first.meta["cache"] == "miss"


async def test_default_headers_and_endpoint_timeout_reach_plain_calls(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, headers={"X-App": "paca"}, timeout=5) as client:
        client.register_endpoint(APIEndpoint(name="slow", url="/slow-body", timeout=0.2))
        echoed = await client.get("/echo/h")
        slow = await client.get("slow")
        routes = {key[1]: route for key, route in client._routes.items()}
    assert echoed.data["headers"]["X-App"] == "paca"
    assert "headers" in routes["/echo/h"].send_options
    assert "timeout" not in routes["/echo/h"].send_options  # the session's own
    assert routes["slow"].send_options["timeout"].total == 0.2
    assert slow.kind is ErrorKind.TIMEOUT


async def test_redirects_in_plain_calls(httpbin_url: str) -> None:
    async with UniversalAPIClient(httpbin_url, retry=None) as client:
        missing = await client.get("/redirect-to?url=/status/404")
        direct = await client.get("/status/404")
        ok = await client.get("/redirect/2")
    async with UniversalAPIClient(httpbin_url, max_redirects=1, retry=None) as client:
        too_many = await client.get("/redirect/3")
    async with UniversalAPIClient(httpbin_url, follow_redirects=False) as client:
        not_followed = await client.get("/redirect/1")
    assert missing.meta["status"] == 404
    assert missing.meta["url"] == httpbin_url + "/status/404"  # the final URL, as before
    assert direct.meta["url"] == httpbin_url + "/status/404"
    assert ok.data["url"].endswith("/get")
    assert not too_many.is_success
    assert "TooManyRedirects" in (too_many.error or "")
    assert not_followed.meta["status"] == 302


def test_routes_leave_out_only_aiohttp_defaults() -> None:
    parameters = inspect.signature(aiohttp.ClientSession._request).parameters
    assert parameters["allow_redirects"].default is _route._AIOHTTP_ALLOW_REDIRECTS
    assert parameters["max_redirects"].default == _route._AIOHTTP_MAX_REDIRECTS
    for name in ("params", "data", "headers"):
        assert parameters[name].default is None


def test_received_builds_what_the_constructor_builds() -> None:
    assert [f.name for f in dataclasses.fields(RawResponse)] == [
        "status", "headers", "body", "url", "reason"
    ]  # fmt: skip
    headers = CIMultiDictProxy(CIMultiDict({"A": "1"}))
    built = RawResponse(200, headers, b"x", "http://h/p", "OK")
    fast = received(200, headers, b"x", "http://h/p", "OK")
    assert type(fast) is RawResponse
    assert fast == built
    assert repr(fast) == repr(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.status = 500  # type: ignore[misc]


async def test_configuration_attributes_behave_as_plain_attributes(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=FAST) as client:
        with patch.object(client, "retry", None):
            assert client.retry is None
            patched = await client.get("/flaky/p?fail=10")
        assert client.retry is FAST
        restored = await client.get("/flaky/p?fail=10")
        del client.rate_limit
        with pytest.raises(AttributeError):
            _ = client.rate_limit
        client.rate_limit = None
        assert (await client.get("/posts")).is_success
    assert patched.meta["attempts"] == 1
    assert restored.meta["attempts"] == 3


async def test_plain_calls_log_the_same_debug_line(
    server: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="paca.http")
    async with UniversalAPIClient(server.url) as client:
        for target in ("/posts", "/status/404"):
            await client.get(target)
            await client.get(target, headers={})
    lines = [re.sub(r"in [\d.]+ ms", "in _ ms", r.getMessage()) for r in caplog.records]
    finished = [line for line in lines if " -> " in line]
    assert len(finished) == 4
    assert finished[0] == finished[1]
    assert finished[2] == finished[3]
    assert finished[0].startswith("GET http://127.0.0.1:")
    assert finished[0].endswith("/posts -> 200 in _ ms (1 attempts)")
    assert ": HTTP 404 Not Found for GET" in finished[2]


async def test_plain_call_with_a_cache_set_while_it_runs(server: TestServer) -> None:
    invalidated: list[str] = []

    class Cache:
        async def fetch(self, request: Any, origin: Any, policy: Any) -> Any:
            return await origin(request), "miss"

        async def invalidate(self, url: str) -> None:
            invalidated.append(url)

    async with UniversalAPIClient(server.url) as client:
        pending = asyncio.ensure_future(client.delete("/items/3"))
        await asyncio.sleep(0)  # the call is under way, without a cache
        client.cache = Cache()
        deleted = await pending
    assert deleted.is_success
    assert invalidated == [server.url + "/items/3"]
