"""Local validation: schema from SDL, from a file, or fetched by introspection."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from graphql import GraphQLSchema, build_schema

from paca.graphql._client import GraphQLClient
from paca.graphql._operation import parse_operation
from paca.graphql._schema import SchemaValidator, load_schema, schema_from_introspection
from paca.result import ErrorKind, ResultError

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import GraphQLTestServer

SDL = """
type User { id: ID! name: String! }
type Query { hello(name: String = "world"): String! user(id: ID!): User }
"""


def test_load_schema_accepts_sdl_a_path_and_a_schema(tmp_path: Path) -> None:
    path = tmp_path / "schema.graphql"
    path.write_text(SDL, encoding="utf-8")
    built = load_schema(SDL)
    assert isinstance(built, GraphQLSchema)
    assert isinstance(load_schema(path), GraphQLSchema)
    assert load_schema(built) is built


def test_load_schema_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="invalid schema SDL"):
        load_schema("type Query {")
    with pytest.raises(TypeError):
        load_schema(42)  # type: ignore[arg-type]


def test_schema_from_introspection_refuses_other_data() -> None:
    with pytest.raises(ValueError, match="__schema"):
        schema_from_introspection({"data": 1})
    with pytest.raises(ValueError, match="invalid introspection"):
        schema_from_introspection({"__schema": {"types": "nope"}})


def test_validator_remembers_verdicts_and_stays_bounded() -> None:
    validator = SchemaValidator(build_schema(SDL), max_documents=2)
    good = parse_operation("{ hello }")
    bad = parse_operation("{ nope }")
    assert validator.errors(good) == ()
    assert validator.errors(bad) == ("Cannot query field 'nope' on type 'Query'.",)
    assert validator.errors(good) == ()
    validator.errors(parse_operation('{ user(id: "1") { name } }'))
    assert len(validator._verdicts) == 2


async def test_invalid_document_fails_locally_without_a_request(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(graphql_server.http_url, schema=SDL) as client:
        bad = await client.query("{ user(id: 1) { email } }")
        good = await client.query('{ user(id: "1") { name } }')
    assert bad.kind is ErrorKind.VALIDATION
    assert bad.meta["attempts"] == 0
    assert "email" in (bad.error or "")
    assert good.data == {"user": {"name": "Ada"}}
    assert graphql_server.state.requests == 1


async def test_initialize_can_fetch_the_schema_by_introspection(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(graphql_server.http_url, fetch_schema=True) as client:
        assert client.schema is not None
        assert client.schema.query_type is not None
        bad = await client.mutate("mutation { nothing }")
    assert bad.kind is ErrorKind.VALIDATION
    assert graphql_server.state.requests == 1  # the introspection query only


async def test_fetch_schema_failure_raises_from_initialize(
    graphql_server: GraphQLTestServer,
) -> None:
    client = GraphQLClient(f"{graphql_server.base_url}/unavailable", fetch_schema=True, retry=None)
    with pytest.raises(ResultError) as caught:
        await client.initialize()
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert client.http.session is None


async def test_fetch_schema_replaces_a_loaded_schema(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url, schema=SDL) as client:
        loaded = client.schema
        fetched = await client.fetch_schema()
        assert fetched.is_success
        assert client.schema is fetched.data
        assert client.schema is not loaded
        client.set_schema(None)
        assert client.schema is None


async def test_fetch_schema_reports_an_answer_that_is_no_schema(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(f"{graphql_server.base_url}/not-graphql") as client:
        result = await client.fetch_schema()
    assert result.kind is ErrorKind.VALIDATION
    assert client.schema is None
