"""The shortcuts of a call's hot path answer exactly what the general path answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from paca.http._client import UniversalAPIClient
from paca.http._decode import BodyDecodeError, decode_body
from paca.http._http_events import RateLimitPaused
from paca.resilience import RateLimiter

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BODIES = [
    b'{"a": [1, 2.5, "x\\u00e9"]}',
    '{"a": "é"}'.encode(),
    b"7",
    b" [1] ",
    b'"\\ud800"',  # a lone surrogate escape: json.loads keeps it
    '{"a": 1}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-16-le"),
    '{"a": 1}'.encode("utf-16-be"),
    '{"a": 1}'.encode("utf-32"),
    '{"a": 1}'.encode("utf-8-sig"),
    b'{"a": 1} ',  # whitespace after the value: the scanner's answer is not taken as is
    b'\n\t{"a": 1}',  # whitespace before it
    b"[Infinity, -Infinity]",
    b'[1, {"b": [true, null, -0.5e3]}, "\\\\"]',
]


@pytest.mark.parametrize("body", BODIES)
def test_json_fast_path_matches_json_loads(body: bytes) -> None:
    assert decode_body(body, "application/json") == json.loads(body)
    assert decode_body(body, "application/json; charset=utf-8") == json.loads(body)


@pytest.mark.parametrize(
    "body", [b"{", b"\xff\xfe{", b"\xef", b'{"a": "\xff"}', b"nope", b"1 2", b'{"a": 1}x', b" "]
)
def test_json_fast_path_raises_what_json_loads_raises(body: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json.loads' own error, for comparison
        json.loads(body)
    with pytest.raises(BodyDecodeError):
        decode_body(body, "application/json")


@pytest.fixture
async def limits_url() -> AsyncIterator[str]:
    async def exhausted(_: web.Request) -> web.Response:
        headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0"}
        headers["X-RateLimit-Reset"] = "1"
        return web.json_response({"ok": True}, headers=headers)

    async def plain(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/exhausted", exhausted)
    app.router.add_get("/plain", plain)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_2xx_with_exhausted_limits_still_pauses_the_key(limits_url: str) -> None:
    events: list[Any] = []
    async with UniversalAPIClient(limits_url, rate_limit=RateLimiter(1000, per=1.0)) as client:
        client.add_listener(events.append)
        plain = await client.get("/plain")
        assert not [e for e in events if isinstance(e, RateLimitPaused)]
        result = await client.get("/exhausted")
    assert plain.is_success
    assert plain.data == {"ok": True}
    assert result.is_success
    assert result.data == {"ok": True}
    assert result.meta["status"] == 200
    paused = [e for e in events if isinstance(e, RateLimitPaused)]
    assert paused
    assert paused[0].seconds == 1


async def test_success_meta_is_read_only(limits_url: str) -> None:
    async with UniversalAPIClient(limits_url) as client:
        result = await client.get("/plain")
    assert set(result.meta) >= {"attempts", "elapsed", "from_cache", "endpoint", "method"}
    with pytest.raises(TypeError):
        result.meta["attempts"] = 2  # type: ignore[index]
