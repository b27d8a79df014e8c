"""The auth hook: applied per attempt, one re-send on RETRY, unavailable credentials, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from paca.http._auth_protocol import AuthTicket, AuthVerdict, CredentialsUnavailable
from paca.http._client import UniversalAPIClient
from paca.http._endpoint import APIEndpoint
from paca.http._http_events import AuthRetried
from paca.resilience import RetryPolicy
from paca.result import ErrorKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    import aiohttp
    from conftest import TestServer

    from paca.http._exchange import OutgoingRequest

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


class StandInAuth:
    """Implements the AuthProvider protocol: a token that is refreshed after a 401."""

    def __init__(self, *, unavailable: CredentialsUnavailable | None = None) -> None:
        self.version = 1
        self.unavailable = unavailable
        self.applied: list[OutgoingRequest] = []
        self.responses: list[int] = []
        self.network_errors = 0

    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        if self.unavailable is not None:
            raise self.unavailable
        request.headers["Authorization"] = f"Bearer token-{self.version}"
        request.params.append(("sig", str(len(request.body or b""))))
        self.applied.append(request)
        return AuthTicket("bearer", f"fp-{self.version}", self.version)

    def on_response(
        self, ticket: AuthTicket, status: int, headers: Mapping[str, str]
    ) -> AuthVerdict:
        self.responses.append(status)
        if status == 401 and ticket.token_version == self.version:
            self.version += 1
            return AuthVerdict.RETRY
        return AuthVerdict.PROCEED

    def on_network_error(self, ticket: AuthTicket) -> None:
        self.network_errors += 1


async def test_auth_is_applied_to_the_serialised_request(server: TestServer) -> None:
    auth = StandInAuth()
    async with UniversalAPIClient(server.url, auth=auth) as client:
        result = await client.post("/echo/x", json={"a": 1})
    assert result.data["headers"]["Authorization"] == "Bearer token-1"
    assert result.data["query"] == [["sig", "7"]]
    assert auth.applied[0].body == b'{"a":1}'
    assert auth.responses == [200]


async def test_retry_verdict_sends_once_more_outside_the_retry_policy(server: TestServer) -> None:
    auth = StandInAuth()
    events: list[Any] = []
    async with UniversalAPIClient(server.url, auth=auth, retry=FAST) as client:
        client.add_listener(events.append)
        result = await client.get("/status/401")
    # one policy attempt; inside it the auth layer re-sent once with a new token, then gave up
    assert result.kind is ErrorKind.AUTH
    assert result.meta["attempts"] == 1
    assert result.meta["auth_retries"] == 1
    assert server.hits["status401"] == 2
    assert [r.headers["Authorization"] for r in auth.applied] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert any(isinstance(e, AuthRetried) for e in events)


async def test_each_attempt_starts_from_the_undecorated_request(server: TestServer) -> None:
    auth = StandInAuth()
    async with UniversalAPIClient(server.url, auth=auth, retry=FAST) as client:
        result = await client.get("/flaky/auth", params={"fail": 2})
    assert result.is_success
    assert [len(r.params) for r in auth.applied] == [2, 2, 2]  # fail=2 and sig


@pytest.mark.parametrize(
    ("retry_after", "kind"), [(None, ErrorKind.AUTH), (0.01, ErrorKind.RATE_LIMITED)]
)
async def test_credentials_unavailable_is_a_result(
    server: TestServer, retry_after: float | None, kind: ErrorKind
) -> None:
    auth = StandInAuth(
        unavailable=CredentialsUnavailable("all keys cooling", retry_after=retry_after)
    )
    async with UniversalAPIClient(server.url, auth=auth, retry=RetryPolicy(attempts=2)) as client:
        result = await client.get("/posts")
    assert result.kind is kind
    assert result.meta.get("retry_after") == retry_after
    assert server.hits["posts"] == 0


async def test_network_error_is_reported_to_auth(server: TestServer) -> None:
    auth = StandInAuth()
    async with UniversalAPIClient(server.url, auth=auth, retry=None) as client:
        result = await client.get("/reset")
    assert result.kind is ErrorKind.CONNECTION
    assert auth.network_errors == 1


async def test_endpoint_can_skip_or_override_auth(server: TestServer) -> None:
    client_auth, endpoint_auth = StandInAuth(), StandInAuth()
    endpoint_auth.version = 9
    async with UniversalAPIClient(server.url, auth=client_auth) as client:
        client.register_endpoint(APIEndpoint(name="public", url="/echo/p", skip_auth=True))
        client.register_endpoint(APIEndpoint(name="other", url="/echo/o", auth=endpoint_auth))
        public = await client.get("public")
        other = await client.get("other")
    assert "Authorization" not in public.data["headers"]
    assert other.data["headers"]["Authorization"] == "Bearer token-9"
    assert client_auth.applied == []


async def test_with_the_real_auth_manager(httpbin_url: str) -> None:
    auth_module = pytest.importorskip("paca.http._auth")
    manager = auth_module.AuthManager.bearer("real-token")
    async with UniversalAPIClient(httpbin_url, auth=manager) as client:
        result = await client.get("/bearer")
        basic = UniversalAPIClient(httpbin_url, auth=auth_module.AuthManager.basic("u", "p"))
        async with basic:
            basic_result = await basic.get("/basic-auth/u/p")
    assert result.data == {"authenticated": True, "token": "real-token"}
    assert basic_result.data == {"authenticated": True, "user": "u"}
