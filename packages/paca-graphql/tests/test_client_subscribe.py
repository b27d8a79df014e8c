"""subscribe() delegates to paca.graphql._subscriptions with per-connection headers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paca.graphql._client import GraphQLClient
from paca.result import ErrorKind, Result, Secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    import pytest
    from conftest import GraphQLTestServer


async def collect(client: GraphQLClient, document: str, **options: Any) -> list[Result[Any]]:
    return [r async for r in client.subscribe(document, **options)]


async def test_subscribe_needs_a_ws_url() -> None:
    async with GraphQLClient("http://127.0.0.1:9/graphql") as client:
        results = await collect(client, "subscription { count }")
    assert [r.kind for r in results] == [ErrorKind.VALIDATION]


async def test_subscribe_refuses_a_query_document() -> None:
    async with GraphQLClient("http://127.0.0.1:9/graphql", ws_url="ws://127.0.0.1:9/") as client:
        results = await collect(client, "{ hello }")
    assert [r.kind for r in results] == [ErrorKind.VALIDATION]


async def test_headers_and_init_payload_reach_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    async def fake_stream(
        ws_url: str, document: str, variables: Mapping[str, Any] | None, **kw: Any
    ) -> AsyncIterator[Result[dict[str, Any]]]:
        seen["args"] = (ws_url, document, variables, kw["operation_name"], kw["options"])
        seen["headers"] = await kw["headers_provider"]()
        seen["payload"] = await kw["init_payload_provider"]()
        yield Result.ok({"count": 1})

    import paca.graphql._subscriptions as module

    monkeypatch.setattr(module, "subscribe_stream", fake_stream)
    async with GraphQLClient(
        "http://127.0.0.1:9/graphql",
        ws_url="ws://127.0.0.1:9/graphql",
        headers={"X-App": "demo"},
        subscription_options="opts",
    ) as client:
        results = await collect(
            client,
            "subscription S($to: Int!) { count(to: $to) }",
            variables={"to": 1},
            headers={"Authorization": Secret("Bearer t")},
        )
    assert [r.data for r in results] == [{"count": 1}]
    assert seen["args"] == (
        "ws://127.0.0.1:9/graphql",
        "subscription S($to: Int!) { count(to: $to) }",
        {"to": 1},
        None,
        "opts",
    )
    assert seen["headers"] == {"X-App": "demo", "Authorization": "Bearer t"}
    assert seen["payload"] == {"Authorization": "Bearer t"}


async def test_subscription_against_the_server(graphql_server: GraphQLTestServer) -> None:
    token = {"Authorization": Secret(f"Bearer {graphql_server.token}")}
    async with GraphQLClient(
        graphql_server.http_url, ws_url=graphql_server.ws_url, headers=token
    ) as client:
        results = await collect(client, "subscription { count(to: 3) }")
    assert [r.data for r in results] == [{"count": 1}, {"count": 2}, {"count": 3}]


async def test_custom_init_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    payloads: list[Any] = []

    async def fake_stream(*args: Any, **kw: Any) -> AsyncIterator[Result[dict[str, Any]]]:
        payloads.append(await kw["init_payload_provider"]())  # before any handshake headers
        await kw["headers_provider"]()
        payloads.append(await kw["init_payload_provider"]())
        yield Result.ok({})

    import paca.graphql._subscriptions as module

    monkeypatch.setattr(module, "subscribe_stream", fake_stream)
    async with GraphQLClient(
        "http://127.0.0.1:9/graphql",
        ws_url="ws://127.0.0.1:9/graphql",
        headers={"Authorization": "Bearer z"},
        ws_init_payload=lambda headers: {"token": headers["Authorization"].split()[-1]},
    ) as client:
        await collect(client, "subscription { count }")
    assert payloads == [{"token": "z"}, {"token": "z"}]
