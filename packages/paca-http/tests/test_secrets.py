"""A canary secret in a header, a query parameter and URL userinfo never leaks.

Checked on every path that builds messages: 401, 500, timeout, redirect, connection refused;
in DEBUG logs, ``repr`` of results and of the client, ``Result.error`` and events.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from paca.http._client import UniversalAPIClient
from paca.http._endpoint import APIEndpoint
from paca.resilience import RetryPolicy
from paca.result import Secret

CANARY = "CANARY-s3cr3t-9f2e"
FAST = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01)


def _client_side(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every record except the test server's own access log (werkzeug logs what it received)."""
    return [r for r in caplog.records if not r.name.startswith("werkzeug")]


def _with_userinfo(url: str) -> str:
    return url.replace("http://", f"http://user:{CANARY}@")


@pytest.mark.parametrize(
    ("path", "timeout"),
    [
        ("/status/401", 5.0),
        ("/status/500", 5.0),
        ("/delay/2", 0.2),
        ("/redirect-to", 5.0),
        ("/status/503", 5.0),
    ],
)
async def test_canary_never_leaks(
    httpbin_url: str, caplog: pytest.LogCaptureFixture, path: str, timeout: float
) -> None:
    caplog.set_level(logging.DEBUG)
    events: list[Any] = []
    params: dict[str, Any] = {"token": Secret(CANARY), "q": Secret(CANARY)}
    if path == "/redirect-to":
        params["url"] = "/status/500"
    client = UniversalAPIClient(
        _with_userinfo(httpbin_url),
        timeout=timeout,
        retry=FAST,
        headers={"X-Api-Key": Secret(CANARY)},
    )
    async with client:
        client.add_listener(events.append)
        result = await client.get(path, params=params)
        client.register_endpoint(APIEndpoint(name="named", url=path))
        named = await client.get("named", params=params, headers={"X-Other": Secret(CANARY)})
    assert not result.is_success
    texts = [
        repr(result),
        str(result.error),
        repr(named),
        str(named.error),
        repr(client),
        repr(client.stats()),
        *(repr(e) for e in events),
        *(r.getMessage() for r in _client_side(caplog)),
        *(r.exc_text or "" for r in _client_side(caplog)),
    ]
    for text in texts:
        assert CANARY not in text
    assert any(r.name == "paca.http" for r in caplog.records)  # DEBUG logging did happen


async def test_connection_refused_does_not_leak(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = UniversalAPIClient(_with_userinfo("http://127.0.0.1:1"), retry=None)
    async with client:
        result = await client.get("/x", params={"api_key": CANARY, "k": Secret(CANARY)})
    assert result.kind is not None
    assert CANARY not in repr(result)
    assert all(CANARY not in r.getMessage() for r in _client_side(caplog))


async def test_userinfo_becomes_basic_auth_and_is_sent(httpbin_url: str) -> None:
    host = httpbin_url.removeprefix("http://")
    async with UniversalAPIClient(f"http://user:{CANARY}@{host}") as client:
        ok = await client.get(f"/basic-auth/user/{CANARY}")
        assert CANARY not in repr(client)
    assert ok.is_success


async def test_secret_header_and_param_are_sent_revealed(httpbin_url: str) -> None:
    async with UniversalAPIClient(httpbin_url, headers={"X-Api-Key": Secret(CANARY)}) as client:
        result = await client.get("/get", params={"k": Secret(CANARY)})
    assert result.data["headers"]["X-Api-Key"] == CANARY
    assert result.data["args"] == {"k": CANARY}


def test_tls_verification_is_on_by_default() -> None:
    client = UniversalAPIClient("https://example.invalid")
    assert client._connector_options["ssl"] is True
