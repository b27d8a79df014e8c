"""Time per query of GraphQLClient beside plain gql (``AIOHTTPTransport``), same server.

Run: ``pytest tests/performance/test_bench_graphql.py --benchmark-only``. The server is a
Strawberry schema served by aiohttp in another process (started once per module) on
127.0.0.1; every round sends ``CALLS`` queries with variables, one after another (group
``graphql-c1``) or from ``CONCURRENCY`` tasks (group ``graphql-c16``). Competitors:

- gql ``Client`` with ``AIOHTTPTransport``, document parsed once (the baseline);
- ``GraphQLClient`` with its defaults: retry, per-host breaker, statistics, result mapping.

Goal: ``GraphQLClient`` adds <= 10 % per query over plain gql.
"""

from __future__ import annotations

import asyncio
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from paca_testing.processes import server_process

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

CALLS = 200
CONCURRENCY = 16
ROUNDS = 10
DOCUMENT = "query GetUser($id: ID!) { user(id: $id) { id name } }"
VARIABLES = {"id": "1"}
EXPECTED = {"user": {"id": "1", "name": "Ada"}}

SERVER = textwrap.dedent(
    """
    import asyncio
    import strawberry
    from aiohttp import web
    from strawberry.aiohttp.views import GraphQLView

    @strawberry.type
    class User:
        id: strawberry.ID
        name: str

    @strawberry.type
    class Query:
        @strawberry.field
        def user(self, id: strawberry.ID) -> User:
            return User(id=id, name="Ada")

    async def main():
        app = web.Application()
        view = GraphQLView(schema=strawberry.Schema(query=Query), graphql_ide=None)
        app.router.add_route("*", "/graphql", view)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)
CASES = [(1, "graphql-c1"), (CONCURRENCY, "graphql-c16")]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with server_process(SERVER) as port:
        yield f"http://127.0.0.1:{port}/graphql"


def _measure(
    benchmark: Any,
    loop: asyncio.AbstractEventLoop,
    one: Callable[[], Awaitable[Any]],
    concurrency: int,
) -> None:
    per_task = CALLS // concurrency

    async def worker() -> None:
        for _ in range(per_task):
            assert await one() == EXPECTED

    async def batch() -> None:
        await asyncio.gather(*(worker() for _ in range(concurrency)))

    loop.run_until_complete(batch())  # warm-up: connections opened, documents parsed
    benchmark.pedantic(lambda: loop.run_until_complete(batch()), rounds=ROUNDS, iterations=1)
    calls = per_task * concurrency
    benchmark.extra_info["calls"] = calls
    benchmark.extra_info["per_call_us"] = round(benchmark.stats.stats.median / calls * 1e6, 1)


@pytest.mark.parametrize(("concurrency", "group"), CASES)
def test_plain_gql_aiohttp_transport_baseline(
    benchmark: Any,
    loop: asyncio.AbstractEventLoop,
    server_url: str,
    concurrency: int,
    group: str,
) -> None:
    from gql import Client, GraphQLRequest
    from gql.transport.aiohttp import AIOHTTPTransport

    benchmark.group = group
    request = GraphQLRequest(DOCUMENT, variable_values=VARIABLES)
    client = Client(transport=AIOHTTPTransport(url=server_url))
    session = loop.run_until_complete(client.connect_async())

    async def one() -> Any:
        return await session.execute(request)

    try:
        _measure(benchmark, loop, one, concurrency)
    finally:
        loop.run_until_complete(client.close_async())


@pytest.mark.parametrize(("concurrency", "group"), CASES)
def test_graphql_client(
    benchmark: Any,
    loop: asyncio.AbstractEventLoop,
    server_url: str,
    concurrency: int,
    group: str,
) -> None:
    from paca.graphql._client import GraphQLClient

    benchmark.group = group
    client = GraphQLClient(server_url)
    loop.run_until_complete(client.initialize())

    async def one() -> Any:
        result = await client.query(DOCUMENT, VARIABLES)
        return result.data

    try:
        _measure(benchmark, loop, one, concurrency)
    finally:
        loop.run_until_complete(client.cleanup())
