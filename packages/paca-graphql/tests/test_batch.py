"""Batching: several operations in one POST, one Result each, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paca.graphql._batch import BatchOperation, split_batch
from paca.graphql._client import GraphQLClient
from paca.graphql._graphql_events import OperationFinished
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from conftest import GraphQLTestServer


async def test_batch_sends_one_request_and_keeps_the_order(
    graphql_server: GraphQLTestServer,
) -> None:
    events: list[Any] = []
    async with GraphQLClient(graphql_server.http_url) as client:
        client.add_listener(events.append)
        results = await client.batch(
            [
                "{ hello }",
                BatchOperation("query U($id: ID!) { user(id: $id) { name } }", {"id": "2"}),
                BatchOperation('{ user(id: "404") { name } }'),
            ]
        )
    assert [r.data for r in results[:2]] == [{"hello": "hello world"}, {"user": {"name": "Grace"}}]
    assert results[1].meta["operation_name"] == "U"
    assert results[2].kind is ErrorKind.NOT_FOUND
    assert graphql_server.state.requests == 1
    assert [e.batch_size for e in events] == [3, 3, 3]
    assert all(isinstance(e, OperationFinished) for e in events)


async def test_locally_invalid_operations_are_not_sent(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url) as client:
        results = await client.batch(["{ hello", "{ hello }"])
        nothing = await client.batch(["{ broken"])
    assert results[0].kind is ErrorKind.VALIDATION
    assert results[1].data == {"hello": "hello world"}
    assert nothing[0].kind is ErrorKind.VALIDATION
    assert graphql_server.state.requests == 1


async def test_batch_with_a_mutation(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url) as client:
        results = await client.batch(['mutation { increment(key: "b") }', "{ hello }"])
    assert results[0].data == {"increment": 1}
    assert results[1].is_success


async def test_a_server_without_batching_fails_each_operation(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(f"{graphql_server.base_url}/not-graphql") as client:
        results = await client.batch(["{ hello }", "{ hello }"])
    assert [r.kind for r in results] == [ErrorKind.VALIDATION, ErrorKind.VALIDATION]


def test_split_batch_spreads_a_transport_failure() -> None:
    failed: Result[Any] = Result.fail("boom", ErrorKind.TIMEOUT)
    results = split_batch(failed, ["query", "query A"], [{}, {"operation_name": "A"}])
    assert [r.kind for r in results] == [ErrorKind.TIMEOUT, ErrorKind.TIMEOUT]
    assert results[1].meta["operation_name"] == "A"


def test_split_batch_reads_error_bodies_item_by_item() -> None:
    body = [{"data": {"a": 1}}, {"errors": [{"message": "no", "extensions": {"code": "X"}}]}]
    failed: Result[Any] = Result.fail("HTTP 503", ErrorKind.UNAVAILABLE, meta={"body": body})
    results = split_batch(failed, ["query", "query"], [{}, {}])
    assert [r.kind for r in results] == [ErrorKind.UNAVAILABLE, ErrorKind.UNAVAILABLE]
    assert results[1].meta["error_codes"] == ("X",)


def test_split_batch_refuses_a_wrong_length() -> None:
    results = split_batch(Result.ok([{"data": {}}]), ["query", "query"], [{}, {}])
    assert [r.kind for r in results] == [ErrorKind.VALIDATION, ErrorKind.VALIDATION]
