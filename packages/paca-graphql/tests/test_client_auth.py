"""Auth, breakers and secrets: the paca-http stack under GraphQLClient."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paca.graphql._client import GraphQLClient
from paca.graphql._client_send import ws_headers
from paca.http import AuthManager
from paca.resilience import BreakerConfig
from paca.result import ErrorKind, Secret

if TYPE_CHECKING:
    import pytest
    from conftest import GraphQLTestServer

CANARY = "canary-7f3a9e"


async def test_auth_manager_adds_the_token_to_every_call(
    graphql_server: GraphQLTestServer,
) -> None:
    auth = AuthManager.bearer(Secret("from-manager"))
    async with GraphQLClient(graphql_server.http_url, auth=auth) as client:
        result = await client.query("{ whoami }")
        handshake = await ws_headers(client.http, graphql_server.ws_url, {}, None)
    assert result.data == {"whoami": "Bearer from-manager"}
    assert handshake["Authorization"] == "Bearer from-manager"


async def test_key_pool_rotates_keys_across_calls(graphql_server: GraphQLTestServer) -> None:
    auth = AuthManager.key_pool(["k1", "k2"], header="Authorization", prefix="Key ")
    async with GraphQLClient(graphql_server.http_url, auth=auth) as client:
        seen = [(await client.query("{ whoami }")).data for _ in range(4)]
    assert {s["whoami"] for s in seen if s} == {"Key k1", "Key k2"}


async def test_breaker_opens_after_repeated_server_failures(
    graphql_server: GraphQLTestServer,
) -> None:
    breaker = BreakerConfig(minimum_calls=2, window_size=2, consecutive_failures=2)
    url = f"{graphql_server.base_url}/unavailable"
    async with GraphQLClient(url, retry=None, breaker=breaker) as client:
        kinds = [(await client.query("{ hello }")).kind for _ in range(4)]
    assert kinds[:2] == [ErrorKind.UNAVAILABLE, ErrorKind.UNAVAILABLE]
    assert kinds[-1] is ErrorKind.CIRCUIT_OPEN


async def test_graphql_errors_do_not_open_the_breaker(graphql_server: GraphQLTestServer) -> None:
    breaker = BreakerConfig(minimum_calls=2, window_size=2, consecutive_failures=2)
    async with GraphQLClient(graphql_server.http_url, retry=None, breaker=breaker) as client:
        kinds = [(await client.query('{ user(id: "9") { name } }')).kind for _ in range(4)]
    assert kinds == [ErrorKind.NOT_FOUND] * 4


async def test_a_secret_header_never_leaks_into_results(graphql_server: GraphQLTestServer) -> None:
    headers = {"Authorization": Secret(f"Bearer {CANARY}")}
    async with GraphQLClient(graphql_server.http_url, headers=headers, retry=None) as client:
        timed_out = await client.query("{ slow(seconds: 1) }", timeout=0.05)
        failed = await client.query('{ user(id: "9") { name } }')
    for result in (timed_out, failed):
        text = f"{result!r} {result.error} {dict(result.meta)!r}"
        assert CANARY not in text
    assert CANARY not in repr(client)


async def test_execute_sends_a_broken_document_to_query_for_the_verdict(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(graphql_server.http_url) as client:
        result = await client.execute("{ broken")
    assert result.kind is ErrorKind.VALIDATION
    assert graphql_server.state.requests == 0


async def test_fetch_schema_reports_an_unusable_introspection_answer(
    graphql_server: GraphQLTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(data: Any) -> Any:
        raise ValueError("not an introspection result (no __schema)")

    monkeypatch.setattr("paca.graphql._client.schema_from_introspection", refuse)
    async with GraphQLClient(graphql_server.http_url) as client:
        result = await client.fetch_schema()
    assert result.kind is ErrorKind.VALIDATION
    assert "__schema" in (result.error or "")
    assert client.schema is None
