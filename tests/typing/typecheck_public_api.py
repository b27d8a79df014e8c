"""Checked by mypy --strict (hatch run lint:typing), never run: pins how the public API types.

Each block uses one package the way its README does; a change that weakens a public
annotation (a return type turning into ``Any``, a lost overload) fails the lint job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paca.graphql import GraphQLClient
from paca.http import APIEndpoint, HTTPMethod, UniversalAPIClient
from paca.resilience import (
    CircuitBreaker,
    FakeClock,
    Pipeline,
    RateLimiter,
    RetryPolicy,
)
from paca.sql import QueryBuilder, SQLConnector, col, create_sqlite_config

if TYPE_CHECKING:
    from typing_extensions import assert_type

    from paca.resilience import Decision
    from paca.result import Result
    from paca.webhooks import WebhookEvent, WebhookHandler


async def fetch() -> int:
    return 1


async def resilience() -> None:
    breaker = CircuitBreaker("b", clock=FakeClock())
    assert_type(await breaker.call(fetch), "int")
    assert_type(await breaker.execute(fetch), "Result[int]")
    limiter = RateLimiter(10, per=1.0)
    assert_type(limiter.try_acquire_sync("k"), "Decision")
    assert_type(await limiter.acquire("k", timeout=1.0), "Decision")
    retry = RetryPolicy(attempts=3)
    assert_type(await retry.call(fetch), "int")
    pipeline = Pipeline([limiter, breaker, retry])
    assert_type(await pipeline.call(fetch), "int")


async def sql() -> None:
    async with SQLConnector(create_sqlite_config(":memory:")) as db:
        rows = await db.execute_query("SELECT 1 AS x")
        assert_type(rows, "Result[list[dict[str, Any]]]")
        tuples = await db.execute_query("SELECT 1 AS x", as_tuples=True)
        assert_type(tuples, "Result[list[tuple[Any, ...]]]")
        assert_type(await db.execute("DELETE FROM t"), "Result[int]")
        query = QueryBuilder("t", dialect="sqlite").select("a").where(col("a") > 1)
        assert_type(query.build(), "tuple[str, list[Any]]")


async def http() -> None:
    async with UniversalAPIClient("http://127.0.0.1:9") as client:
        client.register_endpoint(APIEndpoint(name="e", url="/e", method=HTTPMethod.GET))
        assert_type(await client.get("e"), "Result[Any]")
    async with GraphQLClient("http://127.0.0.1:9/graphql") as gql_client:
        assert_type(await gql_client.query("{ a }"), "Result[Any]")


def webhooks(handler: WebhookHandler) -> None:
    @handler.on("invoice.*")
    async def paid(event: WebhookEvent) -> None:
        assert_type(event.payload, "dict[str, Any]")


def results(r: Result[int]) -> None:
    assert_type(r.unwrap_or(0), "int")
