"""OAuth2 client credentials against a real local aiohttp token endpoint, on a FakeClock."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from paca.http._auth import AuthManager
from paca.http._auth_events import AuthEvent, TokenRefreshed
from paca.http._auth_protocol import AuthTicket, AuthVerdict, CredentialsUnavailable
from paca.http._exchange import OutgoingRequest
from paca.resilience import FakeClock
from paca.result import Secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CLIENT_ID = "client-7"
CLIENT_SECRET = "cs_CANARY_9f8e7d6c5b"  # noqa: S105 - a test canary


class TokenServer:
    """A token endpoint that counts requests and answers as told."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], str | None]] = []
        self.status = 200
        self.expires_in: object = 300
        self.arrived = asyncio.Event()
        self.extra_headers: dict[str, str] = {}
        self.body: bytes | None = None
        self.gate: asyncio.Event | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.requests.append(
            ({k: str(v) for k, v in form.items()}, request.headers.get("Authorization"))
        )
        self.arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.body is not None:
            return web.Response(status=self.status, body=self.body, headers=self.extra_headers)
        if self.status != 200:
            payload = {
                "error": "server_error",
                "error_description": f"cannot check {CLIENT_SECRET}",
            }
            return web.json_response(payload, status=self.status, headers=self.extra_headers)
        payload = {"access_token": f"tok-{len(self.requests)}", "token_type": "Bearer"}
        if self.expires_in is not None:
            payload["expires_in"] = self.expires_in
        return web.json_response(payload)


@pytest.fixture
async def server() -> AsyncIterator[TokenServer]:
    state = TokenServer()
    app = web.Application()
    app.router.add_post("/oauth/token", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}/oauth/token"
    try:
        yield state
    finally:
        if state.gate is not None:
            state.gate.set()
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def manager(server: TokenServer, clock: FakeClock, **kwargs: object) -> AuthManager:
    return AuthManager.oauth2_client_credentials(
        server.url,
        CLIENT_ID,
        Secret(CLIENT_SECRET),
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


async def call(auth: AuthManager, session: aiohttp.ClientSession) -> tuple[AuthTicket, str]:
    req = OutgoingRequest("GET", "https://api.test/v1")
    ticket = await auth.apply(req, session)
    return ticket, req.headers["Authorization"]


async def test_fetches_on_demand_with_basic_client_auth(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    auth = manager(server, FakeClock(), scope="read write")
    assert server.requests == []
    ticket, header = await call(auth, session)
    assert header == "Bearer tok-1"
    assert ticket == AuthTicket("oauth2", Secret("tok-1").fingerprint(), 1)
    form, authorization = server.requests[0]
    assert form == {"grant_type": "client_credentials", "scope": "read write"}
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert authorization == f"Basic {expected}"
    await call(auth, session)
    assert len(server.requests) == 1


async def test_client_secret_in_the_body(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    auth = manager(server, FakeClock(), auth_method="body", audience="https://api.test")
    await call(auth, session)
    form, authorization = server.requests[0]
    assert authorization is None
    assert form == {
        "grant_type": "client_credentials",
        "audience": "https://api.test",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


async def test_refreshes_at_expiry_minus_skew(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    server.expires_in = 100
    auth = manager(server, clock, skew=30.0)
    events: list[AuthEvent] = []
    auth.add_listener(events.append)
    await call(auth, session)
    await clock.advance(69)
    assert (await call(auth, session))[1] == "Bearer tok-1"
    await clock.advance(1)
    ticket, header = await call(auth, session)
    assert header == "Bearer tok-2"
    assert ticket.token_version == 2
    assert len(server.requests) == 2
    assert events == [
        TokenRefreshed(server.url, Secret("tok-1").fingerprint(), 1, 100.0),
        TokenRefreshed(server.url, Secret("tok-2").fingerprint(), 2, 100.0),
    ]


async def test_short_lived_token_is_refreshed_half_way(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    server.expires_in = "20"  # a string, as some servers send it
    auth = manager(server, clock, skew=30.0)
    await call(auth, session)
    await clock.advance(9.5)
    await call(auth, session)
    assert len(server.requests) == 1
    await clock.advance(0.5)
    await call(auth, session)
    assert len(server.requests) == 2


async def test_token_without_expiry_lives_until_a_401_or_default(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    server.expires_in = None
    auth = manager(server, clock)
    await call(auth, session)
    await clock.advance(10**7)
    await call(auth, session)
    assert len(server.requests) == 1
    auth = manager(server, clock, default_expires_in=60.0, skew=0.0)
    await call(auth, session)
    await clock.advance(60)
    assert (await call(auth, session))[1] == "Bearer tok-3"


async def test_a_thousand_concurrent_calls_at_expiry_make_one_token_request(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    auth = manager(server, clock, skew=30.0)
    await call(auth, session)
    await clock.advance(270)
    results = await asyncio.gather(*(call(auth, session) for _ in range(1000)))
    assert len(server.requests) == 2  # the first token, then exactly one refresh
    assert {header for _, header in results} == {"Bearer tok-2"}
    assert {ticket.token_version for ticket, _ in results} == {2}


async def test_first_calls_share_one_request_too(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    auth = manager(server, FakeClock())
    results = await asyncio.gather(*(call(auth, session) for _ in range(1000)))
    assert len(server.requests) == 1
    assert {header for _, header in results} == {"Bearer tok-1"}


async def test_a_cancelled_waiter_does_not_cancel_the_fetch(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    auth = manager(server, FakeClock())
    server.gate = asyncio.Event()
    first = asyncio.create_task(call(auth, session))
    second = asyncio.create_task(call(auth, session))
    await server.arrived.wait()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    server.gate.set()
    assert (await second)[1] == "Bearer tok-1"
    assert len(server.requests) == 1


async def test_401_with_the_current_token_invalidates_it(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    auth = manager(server, FakeClock())
    ticket, _ = await call(auth, session)
    assert auth.on_response(ticket, 401, {}) is AuthVerdict.RETRY
    ticket2, header = await call(auth, session)
    assert header == "Bearer tok-2"
    assert ticket2.token_version == 2


async def test_401_with_a_stale_token_version_keeps_the_new_token(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    auth = manager(server, FakeClock())
    old, _ = await call(auth, session)
    assert auth.on_response(old, 401, {}) is AuthVerdict.RETRY
    new, _ = await call(auth, session)
    assert new.token_version == 2
    # a late 401 for the first token arrives after the refresh
    assert auth.on_response(old, 401, {}) is AuthVerdict.RETRY
    again, header = await call(auth, session)
    assert header == "Bearer tok-2"
    assert again.token_version == 2
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [200, 403, 404, 429, 500])
async def test_other_statuses_proceed(
    server: TokenServer, session: aiohttp.ClientSession, status: int
) -> None:
    auth = manager(server, FakeClock())
    ticket, _ = await call(auth, session)
    assert auth.on_response(ticket, status, {}) is AuthVerdict.PROCEED
    auth.on_network_error(ticket)
    await call(auth, session)
    assert len(server.requests) == 1


def assert_no_secret(text: str) -> None:
    assert CLIENT_SECRET not in text
    assert base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode() not in text


async def test_token_endpoint_500_gives_credentials_unavailable_without_the_secret(
    server: TokenServer, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.status = 500
    auth = manager(server, FakeClock())
    with pytest.raises(CredentialsUnavailable) as info:
        await call(auth, session)
    error = info.value
    assert str(error) == f"oauth2 token request to {server.url} failed: HTTP 500 (server_error)"
    assert error.retry_after is None
    assert error.__cause__ is None
    for text in (str(error), repr(error), repr(error.args), caplog.text, repr(auth)):
        assert_no_secret(text)
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    # the next call tries again (no failure is cached)
    server.status = 200
    assert (await call(auth, session))[1] == "Bearer tok-2"


async def test_token_endpoint_429_passes_retry_after_on(
    server: TokenServer, session: aiohttp.ClientSession
) -> None:
    server.status = 429
    server.extra_headers = {"Retry-After": "17"}
    with pytest.raises(CredentialsUnavailable, match="HTTP 429") as info:
        await call(manager(server, FakeClock()), session)
    assert info.value.retry_after == 17.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json " + CLIENT_SECRET.encode(), "HTTP 200 without an access_token"),
        (json.dumps({"token_type": "bearer"}).encode(), "without an access_token"),
        (json.dumps({"access_token": "x", "token_type": "mac"}).encode(), "not a bearer"),
    ],
)
async def test_bad_token_responses(
    server: TokenServer, session: aiohttp.ClientSession, body: bytes, message: str
) -> None:
    server.body = body
    with pytest.raises(CredentialsUnavailable, match=message) as info:
        await call(manager(server, FakeClock()), session)
    assert_no_secret(str(info.value))


async def test_unreachable_token_endpoint(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    auth = AuthManager.oauth2_client_credentials(
        f"http://127.0.0.1:{port}/token", CLIENT_ID, CLIENT_SECRET, clock=FakeClock()
    )
    with pytest.raises(CredentialsUnavailable, match="ClientConnectorError") as info:
        await call(auth, session)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert_no_secret(str(info.value) + caplog.text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"token_url": "/token"}, "absolute"),
        ({"client_id": ""}, "must not be empty"),
        ({"client_id": "a:b"}, "auth_method='body'"),
        ({"auth_method": "jwt"}, "auth_method"),
        ({"skew": -1.0}, "skew"),
        ({"timeout": float("inf")}, "timeout"),
        ({"default_expires_in": 0.0}, "default_expires_in"),
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {
        "token_url": "https://idp.test/token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    options.update(kwargs)
    with pytest.raises(ValueError, match=message) as info:
        AuthManager.oauth2_client_credentials(**options)  # type: ignore[arg-type]
    assert CLIENT_SECRET not in str(info.value)


def test_repr() -> None:
    auth = AuthManager.oauth2_client_credentials(
        "https://idp.test/token?client_secret=leak", CLIENT_ID, CLIENT_SECRET
    )
    assert repr(auth) == (
        "AuthManager(scheme='oauth2', token_url='https://idp.test/token?client_secret=***', "
        "client_id='client-7', token_version=0)"
    )
