"""Canary secrets never appear in repr, str, events, logs or CredentialsUnavailable messages."""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from paca.http._auth import AuthManager
from paca.http._auth_protocol import CredentialsUnavailable
from paca.http._exchange import OutgoingRequest
from paca.resilience import FakeClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from paca.http._auth_events import AuthEvent

CANARIES = [
    "sk_CANARY_KEY_aa11",
    "sk_CANARY_KEY_bb22",
    "CANARY_PASSWORD_cc33",
    "CANARY_BEARER_dd44",
    "CANARY_HMAC_ee55",
    "CANARY_CLIENT_SECRET_ff66",
    "CANARY_ACCESS_TOKEN_0077",
]


def leaks(text: str) -> list[str]:
    found = [c for c in CANARIES if c in text]
    basic = base64.b64encode(b"user:CANARY_PASSWORD_cc33").decode()
    if basic in text:
        found.append("basic")
    return found


class Recorder:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.events: list[AuthEvent] = []

    def watch(self, auth: AuthManager) -> AuthManager:
        auth.add_listener(self.events.append)
        self.texts += [repr(auth), str(auth), f"{auth}"]
        return auth

    def error(self, error: CredentialsUnavailable) -> None:
        self.texts += [str(error), repr(error), repr(error.args)]


@pytest.fixture
async def token_url() -> AsyncIterator[str]:
    calls = []

    async def handle(request: web.Request) -> web.Response:
        calls.append(1)
        if len(calls) == 2:
            return web.json_response(
                {"error": "CANARY_CLIENT_SECRET_ff66", "error_description": CANARIES[5]},
                status=500,
            )
        return web.json_response(
            {"access_token": "CANARY_ACCESS_TOKEN_0077", "token_type": "bearer", "expires_in": 60}
        )

    app = web.Application()
    app.router.add_post("/token", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/token"
    finally:
        await runner.cleanup()


async def exercise(auth: AuthManager, session: aiohttp.ClientSession, rec: Recorder) -> None:
    for status, headers in [(200, {}), (429, {"Retry-After": "5"}), (401, {}), (403, {})]:
        request = OutgoingRequest("POST", "https://api.test/v1", body=b"{}")
        try:
            ticket = await auth.apply(request, session)
        except CredentialsUnavailable as error:
            rec.error(error)
            continue
        rec.texts.append(repr(ticket))
        auth.on_response(ticket, status, headers)
        auth.on_network_error(ticket)
    rec.texts.append(repr(auth))


async def test_no_canary_anywhere(token_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    rec = Recorder()
    managers = [
        AuthManager.api_key(CANARIES[0]),
        AuthManager.api_key(CANARIES[0], query_param="key"),
        AuthManager.bearer(CANARIES[3]),
        AuthManager.basic("user", CANARIES[2]),
        AuthManager.hmac(CANARIES[4], key_id="public-id", wall_clock=clock.now),
        AuthManager.key_pool(CANARIES[:2], clock=clock, name="canary"),
        AuthManager.oauth2_client_credentials(
            token_url, "client", CANARIES[5], clock=clock, skew=0.0
        ),
    ]

    def broken_listener(event: AuthEvent) -> None:
        raise RuntimeError(repr(event))

    async with aiohttp.ClientSession() as session:
        for auth in managers:
            rec.watch(auth)
            auth.add_listener(broken_listener)  # its failure is logged, with the event
            await exercise(auth, session, rec)
        await clock.advance(61)  # the OAuth2 token expired: the refresh gets a 500
        await exercise(managers[-1], session, rec)
    pool = managers[5].pool
    assert pool is not None
    rec.texts += [repr(pool), repr(pool.status())]
    rec.texts += [repr(event) for event in rec.events]
    rec.texts.append(caplog.text)
    rec.texts += [repr(r.args) for r in caplog.records]
    assert {type(event).__name__ for event in rec.events} == {
        "KeyCooldown",
        "KeyQuarantined",
        "KeyRotated",
        "TokenRefreshed",
    }
    assert any("CredentialsUnavailable" in text for text in rec.texts)
    assert caplog.records, "the scenario should have logged"
    for text in rec.texts:
        assert leaks(text) == [], text


def test_env_errors_do_not_quote_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANARY_KEYS", f"{CANARIES[0]},{CANARIES[0]}")
    with pytest.raises(ValueError, match="twice") as info:
        AuthManager.key_pool_from_env("CANARY_KEYS")
    assert leaks(str(info.value)) == []
