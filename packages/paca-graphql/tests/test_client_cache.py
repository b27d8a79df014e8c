"""Query caching through paca-http's ResponseCache (GET requests) and persisted queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.graphql._client import GraphQLClient
from paca.graphql._operation import apq_hash
from paca.http import ResponseCache
from paca.resilience import RetryPolicy
from paca.result import Secret

if TYPE_CHECKING:
    from conftest import GraphQLTestServer

COUNTER = "query Count($key: String!) { counter(key: $key) }"


async def test_cache_is_off_by_default(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url) as client:
        first = await client.query(COUNTER, {"key": "a"})
        second = await client.query(COUNTER, {"key": "a"})
    assert (first.data, second.data) == ({"counter": 1}, {"counter": 2})
    assert graphql_server.state.methods == ["POST", "POST"]


async def test_cached_queries_go_as_get_and_hit_by_document_and_variables(
    graphql_server: GraphQLTestServer,
) -> None:
    cache = ResponseCache()
    async with GraphQLClient(graphql_server.http_url, cache=cache) as client:
        first = await client.query(COUNTER, {"key": "a"})
        again = await client.query(COUNTER, {"key": "a"})
        other = await client.query(COUNTER, {"key": "b"})
        bypass = await client.query(COUNTER, {"key": "a"}, cache=False)
    assert first.data == again.data == {"counter": 1}
    assert (first.meta["from_cache"], again.meta["from_cache"]) == (False, True)
    assert other.data == {"counter": 1}
    assert bypass.data == {"counter": 2}
    assert graphql_server.state.methods == ["GET", "GET", "POST"]
    assert cache.stats().hits == 1


async def test_mutations_are_never_cached(graphql_server: GraphQLTestServer) -> None:
    async with GraphQLClient(graphql_server.http_url, cache=ResponseCache()) as client:
        one = await client.mutate('mutation { increment(key: "m") }')
        two = await client.mutate('mutation { increment(key: "m") }')
    assert (one.data, two.data) == ({"increment": 1}, {"increment": 2})
    assert graphql_server.state.methods == ["POST", "POST"]


async def test_authenticated_queries_are_not_stored_by_default(
    graphql_server: GraphQLTestServer,
) -> None:
    headers = {"Authorization": Secret("Bearer a")}
    async with GraphQLClient(graphql_server.http_url, cache=ResponseCache()) as client:
        await client.query(COUNTER, {"key": "x"}, headers=headers)
        second = await client.query(COUNTER, {"key": "x"}, headers=headers)
    assert second.data == {"counter": 2}


async def test_authenticated_caching_is_partitioned_by_credential(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(
        graphql_server.http_url, cache=ResponseCache(), cache_authenticated=True
    ) as client:
        a1 = await client.query("{ whoami }", headers={"Authorization": Secret("Bearer a")})
        b1 = await client.query("{ whoami }", headers={"Authorization": Secret("Bearer b")})
        a2 = await client.query("{ whoami }", headers={"Authorization": Secret("Bearer a")})
    assert (a1.data, b1.data, a2.data) == (
        {"whoami": "Bearer a"},
        {"whoami": "Bearer b"},
        {"whoami": "Bearer a"},
    )
    assert a2.meta["from_cache"]
    assert graphql_server.state.requests == 2


async def test_persisted_query_sends_the_hash_then_the_document_once(
    graphql_server: GraphQLTestServer,
) -> None:
    state = graphql_server.state
    async with GraphQLClient(graphql_server.apq_url, persisted_queries=True) as client:
        first = await client.query(COUNTER, {"key": "p"})
        second = await client.query(COUNTER, {"key": "p"})
    assert (first.data, second.data) == ({"counter": 1}, {"counter": 2})
    assert first.meta["attempts"] == 2  # hash, then hash + document
    assert second.meta["attempts"] == 1  # hash only
    assert first.meta["persisted"]
    assert state.apq_misses == 1
    assert state.apq_requests == 3
    assert list(state.apq_store) == [apq_hash(COUNTER)]


async def test_persisted_query_failures_are_still_graphql_failures(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(graphql_server.apq_url, persisted_queries=True) as client:
        result = await client.query('{ user(id: "404") { name } }')
    assert result.meta["error_codes"] == ("NOT_FOUND",)
    assert result.meta["attempts"] == 2


async def test_answers_with_errors_are_not_served_from_the_cache(
    graphql_server: GraphQLTestServer,
) -> None:
    retry = RetryPolicy(attempts=3, backoff="none")
    async with GraphQLClient(graphql_server.http_url, cache=ResponseCache(), retry=retry) as client:
        first = await client.query('{ flaky(key: "c", failures: 1) }')
        second = await client.query('{ flaky(key: "c", failures: 1) }')
        missing = await client.query('{ user(id: "9") { name } }')
        again = await client.query('{ user(id: "9") { name } }')
    assert first.data == second.data == {"flaky": "ok after 2"}
    assert first.meta["attempts"] == 2
    assert second.meta["from_cache"]
    assert (missing.meta["from_cache"], again.meta["from_cache"]) == (False, False)
    assert graphql_server.state.calls["c"] == 2


async def test_persisted_queries_stop_against_a_server_without_apq(
    graphql_server: GraphQLTestServer,
) -> None:
    async with GraphQLClient(
        graphql_server.http_url, cache=ResponseCache(), persisted_queries=True
    ) as client:
        first = await client.query(COUNTER, {"key": "g"})
        second = await client.query(COUNTER, {"key": "g"})
        assert not client.persisted_queries
    # Strawberry answers a hash-only request with HTTP 400: the document follows, hashing
    # stops, and the good answer is served from the cache the second time.
    assert first.data == second.data == {"counter": 1}
    assert first.meta["attempts"] == 2
    assert second.meta["from_cache"]
    assert graphql_server.state.requests == 2


async def test_the_endpoint_query_string_and_userinfo_go_with_every_call(
    graphql_server: GraphQLTestServer,
) -> None:
    url = graphql_server.http_url.replace("http://", "http://ada:pw@") + "?tenant=t1"
    async with GraphQLClient(url, cache=ResponseCache(), cache_authenticated=True) as client:
        posted = await client.mutate('mutation { increment(key: "u") }')
        got = await client.query("{ whoami }")
        cached = await client.query("{ whoami }")
        failed = await client.query('{ flaky(key: "u2", failures: 1) }', cache=True)
        missing = [(await client.query('{ user(id: "9") { name } }')) for _ in range(2)]
    assert posted.data == {"increment": 1}
    assert got.data == cached.data == {"whoami": "Basic YWRhOnB3"}
    assert cached.meta["from_cache"]
    assert failed.data == {"flaky": "ok after 2"}  # the failed answer was not served again
    assert [m.meta["from_cache"] for m in missing] == [False, False]
    strings = graphql_server.state.query_strings
    assert strings[0] == "tenant=t1"
    assert all(s.startswith("tenant=t1&") for s in strings[1:])
