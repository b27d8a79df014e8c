"""UniversalAPIClient against real servers: httpbin and our aiohttp test server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from paca.http._client import ClientNotInitializedError, UniversalAPIClient, default_timeout
from paca.http._endpoint import APIEndpoint, EndpointError
from paca.http._methods import HTTPMethod
from paca.result import ErrorKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from conftest import TestServer


async def test_mission_example_runs_unchanged(server: TestServer) -> None:
    client = UniversalAPIClient(server.url)
    await client.initialize()
    client.register_endpoint(APIEndpoint(name="get_posts", url="/posts", method=HTTPMethod.GET))
    result = await client.get("get_posts")
    await client.cleanup()
    assert result.is_success
    assert result.data == [{"id": 1, "title": "hello"}, {"id": 2, "title": "world"}]
    assert result.meta["status"] == 200
    assert result.meta["attempts"] == 1
    assert result.meta["endpoint"] == "get_posts"
    assert result.meta["from_cache"] is False
    assert result.meta["elapsed"] > 0
    assert result.meta["headers"]["Content-Type"].startswith("application/json")


async def test_async_with_and_path_params_are_escaped(server: TestServer) -> None:
    async with UniversalAPIClient(server.url) as client:
        client.register_endpoint(APIEndpoint(name="echo", url="/echo/{a}/{b}"))
        result = await client.get("echo", path_params={"a": "x/../y", "b": "q?r#s"})
    assert result.is_success, result
    assert result.data["path"] == "/echo/x%2F..%2Fy/q%3Fr%23s"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ErrorKind.VALIDATION),
        (401, ErrorKind.AUTH),
        (403, ErrorKind.AUTH),
        (404, ErrorKind.NOT_FOUND),
        (409, ErrorKind.CONFLICT),
        (418, ErrorKind.HTTP_STATUS),
        (422, ErrorKind.VALIDATION),
        (429, ErrorKind.RATE_LIMITED),
        (500, ErrorKind.HTTP_STATUS),
        (502, ErrorKind.UNAVAILABLE),
        (503, ErrorKind.UNAVAILABLE),
        (504, ErrorKind.UNAVAILABLE),
    ],
)
async def test_status_codes_map_to_kinds_httpbin(
    httpbin_url: str, status: int, kind: ErrorKind
) -> None:
    async with UniversalAPIClient(httpbin_url, retry=None) as client:
        result = await client.get(f"/status/{status}")
    assert not result.is_success
    assert result.kind is kind
    assert result.meta["status"] == status
    assert str(status) in (result.error or "")


async def test_success_statuses_and_bodies(server: TestServer) -> None:
    async with UniversalAPIClient(server.url) as client:
        no_content = await client.delete("/status/204")
        text = await client.get("/text")
        raw = await client.get("/bytes")
        gz = await client.get("/gzip")
        bad = await client.get("/bad-json")
    assert no_content.is_success
    assert no_content.data is None
    assert text.data == "héllo"
    assert raw.data == b"\x00\x01\x02"
    assert gz.data == {"gzipped": True}
    assert bad.kind is ErrorKind.VALIDATION
    assert "not valid JSON" in (bad.error or "")


async def test_error_body_is_kept_in_meta(server: TestServer) -> None:
    async with UniversalAPIClient(server.url) as client:
        result = await client.get("/status/409", params={"body": "taken"})
    assert result.kind is ErrorKind.CONFLICT
    assert result.meta["body"] == "taken"


async def test_post_json_and_query_params(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, headers={"X-App": "paca"}) as client:
        result = await client.post(
            "/echo/p", json={"a": 1}, params={"q": "1", "many": ["x", "y"], "skip": None}
        )
    assert result.is_success
    assert result.data["method"] == "POST"
    assert result.data["body"] == '{"a":1}'
    assert result.data["headers"]["Content-Type"] == "application/json"
    assert result.data["headers"]["X-App"] == "paca"
    assert result.data["query"] == [["q", "1"], ["many", "x"], ["many", "y"]]


async def test_httpbin_redirects_basic_auth_bearer_gzip(httpbin_url: str) -> None:
    host = httpbin_url.removeprefix("http://")
    async with UniversalAPIClient(f"http://user:pw@{host}") as client:
        redirected = await client.get("/redirect/2")
        basic = await client.get("/basic-auth/user/pw")
        bearer = await client.get("/bearer", headers={"Authorization": "Bearer tok"})
        gz = await client.get("/gzip")
    assert redirected.is_success
    assert redirected.data["url"].endswith("/get")
    assert basic.is_success
    assert basic.data == {"authenticated": True, "user": "user"}
    assert bearer.data == {"authenticated": True, "token": "tok"}
    assert gz.data["gzipped"] is True


async def test_redirects_can_be_disabled(httpbin_url: str) -> None:
    async with UniversalAPIClient(httpbin_url, follow_redirects=False) as client:
        result = await client.get("/redirect/1")
    assert result.kind is ErrorKind.HTTP_STATUS
    assert result.meta["status"] == 302


async def test_timeout_is_a_timeout_result(httpbin_url: str) -> None:
    async with UniversalAPIClient(httpbin_url, timeout=0.2, retry=None) as client:
        result = await client.get("/delay/2")
    assert result.kind is ErrorKind.TIMEOUT
    assert "timed out" in (result.error or "")
    assert result.meta["attempts"] == 1


async def test_endpoint_timeout_overrides_client(server: TestServer) -> None:
    async with UniversalAPIClient(server.url, retry=None) as client:
        client.register_endpoint(APIEndpoint(name="slow", url="/slow-body", timeout=0.2))
        result = await client.get("slow")
    assert result.kind is ErrorKind.TIMEOUT


async def test_connection_refused_and_reset(server: TestServer) -> None:
    async with UniversalAPIClient("http://127.0.0.1:1", retry=None) as client:
        refused = await client.get("/x")
    async with UniversalAPIClient(server.url, retry=None) as client:
        reset = await client.get("/reset")
    assert refused.kind is ErrorKind.CONNECTION
    assert reset.kind is ErrorKind.CONNECTION


async def test_api_timeout_env_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TIMEOUT", "7.5")
    assert default_timeout() == 7.5
    monkeypatch.setenv("API_TIMEOUT", "nonsense")
    assert default_timeout() == 30.0
    monkeypatch.delenv("API_TIMEOUT")
    assert default_timeout() == 30.0


async def test_misuse_raises() -> None:
    client = UniversalAPIClient("http://127.0.0.1:1")
    with pytest.raises(ClientNotInitializedError):
        await client.get("/x")
    async with client:
        client.register_endpoint(APIEndpoint(name="make", url="/m", method="POST"))
        with pytest.raises(EndpointError, match="neither a registered endpoint"):
            await client.get("nope")
        with pytest.raises(EndpointError, match="is POST, not GET"):
            await client.get("make")
        with pytest.raises(TypeError, match="json= or data="):
            await client.post("/x", json={}, data=b"")


async def test_stream_download_and_upload(server: TestServer) -> None:
    size = 3 * 65536 + 17

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"u" * 1000

    async with UniversalAPIClient(server.url) as client:
        async with client.stream("GET", "/download", params={"size": size}) as result:
            assert result.is_success
            assert result.meta["status"] == 200
            received = [len(chunk) async for chunk in result.data]  # type: ignore[union-attr]
        async with client.stream("GET", "/status/404") as missing:
            assert missing.kind is ErrorKind.NOT_FOUND
        uploaded = await client.post("/upload", data=chunks())
    assert sum(received) == size
    assert max(received) <= 65536
    assert uploaded.data == {"size": 4000, "chunked": True}


async def test_stream_from_httpbin(httpbin_url: str) -> None:
    client = UniversalAPIClient(httpbin_url)
    await client.initialize()
    try:
        async with client.stream("GET", "/stream-bytes/5000", params={"chunk_size": 100}) as r:
            total = 0
            async for chunk in r.data:  # type: ignore[union-attr]
                total += len(chunk)
    finally:
        await client.cleanup()
    assert total == 5000


async def test_call_uses_endpoint_method_and_repr(server: TestServer) -> None:
    async with UniversalAPIClient(server.url + "/") as client:
        client.register_endpoint(APIEndpoint(name="create", url="/items", method="POST"))
        result = await client.call("create", json={"n": 1})
        assert "UniversalAPIClient" in repr(client)
    assert result.meta["status"] == 201
    assert result.data == {"created": {"n": 1}}
