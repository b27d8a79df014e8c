"""subscribe_stream against the package's shared strawberry server (conftest ``graphql_server``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from paca.graphql._subscriptions import SubscriptionOptions, subscribe_stream
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

FAST: dict[str, Any] = {"ping_interval": 0.5, "pong_timeout": 0.5, "backoff_base": 0.01}


async def collect(stream: AsyncIterator[Result[dict[str, Any]]]) -> list[Result[dict[str, Any]]]:
    async def run() -> list[Result[dict[str, Any]]]:
        return [r async for r in stream]

    return await asyncio.wait_for(run(), 10)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_count_then_complete(graphql_server: Any, protocol: str) -> None:
    stream = subscribe_stream(
        graphql_server.ws_url,
        "subscription ($to: Int!) { count(to: $to) }",
        {"to": 5},
        init_payload_provider=lambda: {"token": graphql_server.token},
        options=SubscriptionOptions(protocol=protocol, **FAST),
    )
    assert await collect(stream) == [Result.ok({"count": n}) for n in range(1, 6)]


async def test_the_bearer_payload_reaches_the_resolver(graphql_server: Any) -> None:
    async def bearer() -> dict[str, str]:
        return {"Authorization": f"Bearer {graphql_server.token}"}

    stream = subscribe_stream(
        graphql_server.ws_url, "subscription { wsUser }", init_payload_provider=bearer
    )
    assert await collect(stream) == [Result.ok({"wsUser": graphql_server.token})]


async def test_no_keepalive_still_streams(graphql_server: Any) -> None:
    stream = subscribe_stream(
        graphql_server.ws_url,
        "subscription { count(to: 2, delay: 0.05) }",
        init_payload_provider=lambda: {"token": graphql_server.token},
        options=SubscriptionOptions(ping_interval=None),
    )
    assert [r.unwrap() for r in await collect(stream)] == [{"count": 1}, {"count": 2}]


@pytest.mark.parametrize("payload", [None, {"token": "wrong"}])
async def test_a_wrong_token_is_an_auth_failure(graphql_server: Any, payload: Any) -> None:
    stream = subscribe_stream(
        graphql_server.ws_url,
        "subscription { count }",
        init_payload_provider=lambda: payload,
        options=SubscriptionOptions(**FAST),
    )
    results = await collect(stream)
    assert [r.kind for r in results] == [ErrorKind.AUTH]
    assert results[0].meta["close_code"] == 4403
