"""GraphQLClient against the Strawberry test server: results, errors, headers, events."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

import pytest

from paca.graphql._client import GraphQLClient
from paca.graphql._graphql_events import OperationFinished
from paca.http import ClientNotInitializedError
from paca.result import ErrorKind, Secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from conftest import GraphQLTestServer

USER = "query GetUser($id: ID!) { user(id: $id) { id name } }"


@pytest.fixture
async def client(graphql_server: GraphQLTestServer) -> AsyncIterator[GraphQLClient]:
    async with GraphQLClient(graphql_server.http_url, retry=None) as gql_client:
        yield gql_client


async def test_query_returns_data_and_operation_facts(client: GraphQLClient) -> None:
    result = await client.query(USER, variables={"id": "1"})
    assert result.is_success
    assert result.data == {"user": {"id": "1", "name": "Ada"}}
    assert result.meta["operation_name"] == "GetUser"
    assert result.meta["operation_type"] == "query"
    assert result.meta["status"] == 200
    assert result.meta["attempts"] == 1
    assert result.meta["duration"] > 0


async def test_sends_the_graphql_response_accept_header(
    client: GraphQLClient, graphql_server: GraphQLTestServer
) -> None:
    assert (await client.query("{ hello }")).is_success
    assert graphql_server.state.accepts == ["application/graphql-response+json, application/json"]
    assert graphql_server.state.methods == ["POST"]


async def test_errors_with_partial_data_fail_and_keep_the_data(client: GraphQLClient) -> None:
    result = await client.query("{ partial { ok bad } }")
    assert not result.is_success
    assert result.kind is ErrorKind.QUERY
    assert result.data is None
    assert result.meta["data"] == {"partial": {"ok": "fine", "bad": None}}
    assert result.meta["errors"][0]["path"] == ["partial", "bad"]
    assert result.meta["error_codes"] == ("INTERNAL_SERVER_ERROR",)
    assert "this field is broken" in (result.error or "")


@pytest.mark.parametrize(
    ("document", "kind", "code"),
    [
        ('{ user(id: "404") { name } }', ErrorKind.NOT_FOUND, "NOT_FOUND"),
        ("{ whoami }", ErrorKind.AUTH, "UNAUTHENTICATED"),
    ],
)
async def test_extensions_code_picks_the_kind(
    client: GraphQLClient, document: str, kind: ErrorKind, code: str
) -> None:
    result = await client.query(document)
    assert result.kind is kind
    assert result.meta["error_codes"] == (code,)


async def test_a_hundred_parallel_calls_each_carry_their_own_token(
    client: GraphQLClient, graphql_server: GraphQLTestServer
) -> None:
    async def call(i: int) -> Any:
        headers = {"Authorization": Secret(f"Bearer token-{i}")}
        return await client.query("{ whoami }", headers=headers)

    results = await asyncio.gather(*(call(i) for i in range(100)))
    assert [r.data for r in results] == [{"whoami": f"Bearer token-{i}"} for i in range(100)]
    assert sorted(graphql_server.state.authorizations) == sorted(
        f"Bearer token-{i}" for i in range(100)
    )


async def test_client_headers_go_with_every_call(graphql_server: GraphQLTestServer) -> None:
    headers = {"Authorization": Secret("Bearer shared")}
    async with GraphQLClient(graphql_server.http_url, headers=headers) as gql_client:
        result = await gql_client.query("{ whoami }")
    assert result.data == {"whoami": "Bearer shared"}
    assert "shared" not in repr(gql_client)


async def test_mutation_goes_as_post(
    client: GraphQLClient, graphql_server: GraphQLTestServer
) -> None:
    result = await client.mutate('mutation Add { addMessage(text: "hi") { id text } }')
    assert result.data == {"addMessage": {"id": 1, "text": "hi"}}
    assert result.meta["operation_type"] == "mutation"
    assert graphql_server.state.methods == ["POST"]


async def test_execute_picks_query_or_mutation(client: GraphQLClient) -> None:
    assert (await client.execute('mutation { increment(key: "e") }')).data == {"increment": 1}
    assert (await client.execute("{ hello }")).data == {"hello": "hello world"}


async def test_syntax_error_is_a_validation_failure_without_a_request(
    client: GraphQLClient, graphql_server: GraphQLTestServer
) -> None:
    result = await client.query("{ hello ")
    assert result.kind is ErrorKind.VALIDATION
    assert result.meta["attempts"] == 0
    assert graphql_server.state.requests == 0


async def test_wrong_operation_type_is_refused_locally(
    client: GraphQLClient, graphql_server: GraphQLTestServer
) -> None:
    as_query = await client.query('mutation { increment(key: "x") }')
    as_mutation = await client.mutate("{ hello }")
    assert as_query.kind is ErrorKind.VALIDATION
    assert as_mutation.kind is ErrorKind.VALIDATION
    assert graphql_server.state.requests == 0


async def test_operation_name_selects_among_several(client: GraphQLClient) -> None:
    document = 'query A { hello } query B { hello(name: "b") }'
    assert (await client.query(document, operation_name="B")).data == {"hello": "hello b"}
    assert (await client.query(document)).kind is ErrorKind.VALIDATION


async def test_non_2xx_keeps_the_http_kind_and_the_graphql_errors(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(f"{graphql_server.base_url}/unavailable", retry=None) as gql_client:
        result = await gql_client.query("{ hello }")
    assert result.kind is ErrorKind.UNAVAILABLE
    assert result.meta["status"] == 503
    assert result.meta["error_codes"] == ("MAINTENANCE",)


async def test_an_answer_that_is_not_graphql_fails_validation(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(f"{graphql_server.base_url}/not-graphql") as gql_client:
        result = await gql_client.query("{ hello }")
    assert result.kind is ErrorKind.VALIDATION
    assert result.meta["attempts"] == 1


async def test_timeout_maps_to_timeout(client: GraphQLClient) -> None:
    result = await client.query("{ slow(seconds: 2) }", timeout=0.05)
    assert result.kind is ErrorKind.TIMEOUT


async def test_connection_refused_maps_to_connection() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with GraphQLClient(f"http://127.0.0.1:{port}/graphql", retry=None) as gql_client:
        result = await gql_client.query("{ hello }")
    assert result.kind is ErrorKind.CONNECTION


async def test_events_report_name_type_duration_and_codes(client: GraphQLClient) -> None:
    events: list[Any] = []
    remove = client.add_listener(events.append)
    await client.query(USER, variables={"id": "404"})
    await client.query("{ broken")
    remove()
    await client.query("{ hello }")
    assert [type(e) for e in events] == [OperationFinished, OperationFinished]
    first, second = events
    assert (first.operation_name, first.operation_type) == ("GetUser", "query")
    assert first.kind is ErrorKind.NOT_FOUND
    assert first.error_codes == ("NOT_FOUND",)
    assert first.duration > 0
    assert first.attempts == 1
    assert second.kind is ErrorKind.VALIDATION
    assert second.attempts == 0


async def test_a_failing_listener_never_breaks_a_call(client: GraphQLClient) -> None:
    def boom(event: object) -> None:
        raise RuntimeError(event)

    client.add_listener(boom)
    assert (await client.query("{ hello }")).is_success


async def test_calls_before_initialize_raise() -> None:
    gql_client = GraphQLClient("http://127.0.0.1:9/graphql")
    with pytest.raises(ClientNotInitializedError):
        await gql_client.query("{ hello }")


def test_bad_url_is_refused() -> None:
    with pytest.raises(ValueError, match="absolute"):
        GraphQLClient("/graphql")


async def test_stats_come_from_paca_http(client: GraphQLClient) -> None:
    await client.query("{ hello }")
    await client.mutate('mutation { increment(key: "s") }')
    assert client.http.stats()["graphql"].count == 2
