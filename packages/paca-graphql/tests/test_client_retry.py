"""Retries: queries on retryable transport failures and codes; mutations only with a key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.graphql._client import GraphQLClient
from paca.resilience import RetryPolicy
from paca.result import ErrorKind

if TYPE_CHECKING:
    from conftest import GraphQLTestServer


def fast_retry(attempts: int = 3) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, backoff="none")


async def test_query_is_retried_on_a_retryable_code(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url, retry=fast_retry()) as client:
        result = await client.query('{ flaky(key: "q", failures: 2) }')
    assert result.data == {"flaky": "ok after 3"}
    assert result.meta["attempts"] == 3


async def test_retries_give_up_with_the_last_graphql_failure(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(graphql_server.http_url, retry=fast_retry(2)) as client:
        result = await client.query('{ flaky(key: "g", failures: 5) }')
    assert result.kind is ErrorKind.UNAVAILABLE
    assert result.meta["error_codes"] == ("SERVICE_UNAVAILABLE",)
    assert result.meta["attempts"] == 2
    assert graphql_server.state.calls["g"] == 2


async def test_codes_outside_the_retryable_set_are_not_retried(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(
        graphql_server.http_url, retry=fast_retry(), retryable_codes={"SOMETHING_ELSE"}
    ) as client:
        result = await client.query('{ flaky(key: "n", failures: 1) }')
        missing = await client.query('{ user(id: "404") { name } }')
    assert result.kind is ErrorKind.UNAVAILABLE
    assert result.meta["attempts"] == 1
    assert missing.meta["attempts"] == 1


async def test_configured_codes_are_retried(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(
        graphql_server.http_url, retry=fast_retry(), retryable_codes={"INTERNAL_SERVER_ERROR"}
    ) as client:
        result = await client.query("{ partial { ok bad } }")
    assert result.meta["attempts"] == 3
    assert result.meta["data"] == {"partial": {"ok": "fine", "bad": None}}


async def test_http_503_is_retried_for_queries(graphql_server: GraphQLTestServer) -> None:
    url = f"{graphql_server.base_url}/unavailable"
    async with GraphQLClient(url, retry=fast_retry()) as client:
        result = await client.query("{ hello }")
    assert result.kind is ErrorKind.UNAVAILABLE
    assert result.meta["attempts"] == 3


async def test_mutation_without_key_is_never_retried(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url, retry=fast_retry()) as client:
        result = await client.mutate('mutation { flakyIncrement(key: "m", failures: 1) }')
    assert result.kind is ErrorKind.UNAVAILABLE
    assert result.meta["attempts"] == 1
    assert graphql_server.state.calls["m"] == 1
    assert graphql_server.state.idempotency_keys == [None]


async def test_mutation_with_key_is_retried_and_sends_the_key(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(graphql_server.http_url, retry=fast_retry()) as client:
        result = await client.mutate(
            'mutation { flakyIncrement(key: "k", failures: 1) }', idempotency_key="op-1"
        )
    assert result.data == {"flakyIncrement": 2}
    assert result.meta["attempts"] == 2
    assert graphql_server.state.idempotency_keys == ["op-1", "op-1"]


async def test_retry_none_disables_retries(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url, retry=None) as client:
        result = await client.query('{ flaky(key: "r", failures: 1) }')
    assert result.meta["attempts"] == 1


async def test_timeouts_are_retried_for_queries(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url, retry=fast_retry(2)) as client:
        result = await client.query("{ slow(seconds: 1) }", timeout=0.05)
    assert result.kind is ErrorKind.TIMEOUT
    assert result.meta["attempts"] == 2
