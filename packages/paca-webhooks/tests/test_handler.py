"""WebhookHandler end to end through the aiohttp app, on both inboxes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from paca.webhooks._handler import WebhookEvent, WebhookHandler
from paca.webhooks._webhook_events import (
    WebhookAcknowledged,
    WebhookDuplicate,
    WebhookProcessed,
    WebhookReceived,
    WebhookRejected,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from paca.webhooks._inbox import Inbox

PATH = "/webhooks/billing"


async def client_for(hooks: WebhookHandler) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = TestClient(TestServer(hooks.create_app(path=PATH)))
    await client.start_server()
    return client


@pytest.fixture
async def hooks(inbox: Inbox, verifier: Any) -> AsyncIterator[WebhookHandler]:
    handler = WebhookHandler(
        verifier=verifier, inbox=inbox, workers=2, poll=0.05, base_delay=0.0, max_delay=0.0
    )
    yield handler
    await handler.stop(drain_timeout=0.1)


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_delivery_is_acknowledged_then_processed_once(
    hooks: WebhookHandler, delivery: Callable[..., tuple[bytes, dict[str, str]]]
) -> None:
    seen: list[WebhookEvent] = []
    events: list[object] = []
    hooks.add_listener(events.append)

    @hooks.on("invoice.paid")
    async def paid(event: WebhookEvent) -> None:
        seen.append(event)

    client = await client_for(hooks)
    try:
        body, headers = delivery("evt_1", amount=3)
        first = await client.post(PATH, data=body, headers=headers)
        again = await client.post(PATH, data=body, headers=headers)
        assert (first.status, again.status) == (200, 200)
        await hooks.start()
        await wait_for(lambda: len(seen) == 1)
        await asyncio.sleep(0.1)
    finally:
        await client.close()
    assert len(seen) == 1
    event = seen[0]
    assert (event.id, event.type, event.source, event.attempt) == (
        "evt_1",
        "invoice.paid",
        "default",
        1,
    )
    assert event.payload["data"] == {"amount": 3}
    assert event.body == body
    kinds = [type(e) for e in events]
    assert WebhookReceived in kinds
    assert WebhookDuplicate in kinds
    assert WebhookProcessed in kinds
    assert kinds.count(WebhookAcknowledged) == 2


async def test_wildcard_routes_and_catch_all(
    hooks: WebhookHandler, delivery: Callable[..., tuple[bytes, dict[str, str]]]
) -> None:
    calls: list[tuple[str, str]] = []

    @hooks.on("invoice.paid")
    async def exact(event: WebhookEvent) -> None:
        calls.append(("exact", event.id))

    @hooks.on("invoice.*")
    async def prefix(event: WebhookEvent) -> None:
        calls.append(("prefix", event.id))

    @hooks.on("*")
    async def anything(event: WebhookEvent) -> None:
        calls.append(("any", event.id))

    client = await client_for(hooks)
    try:
        for event_id, event_type in (("a", "invoice.paid"), ("b", "invoice.voided"), ("c", "x")):
            body, headers = delivery(event_id, event_type)
            assert (await client.post(PATH, data=body, headers=headers)).status == 200
        await hooks.start()
        await wait_for(lambda: len(calls) == 6)
    finally:
        await client.close()
    assert sorted(calls) == sorted(
        [("exact", "a"), ("prefix", "a"), ("any", "a"), ("prefix", "b"), ("any", "b"), ("any", "c")]
    )


@pytest.mark.parametrize(
    ("headers", "body", "status", "reason"),
    [
        ({}, b'{"type": "t"}', 401, "missing_signature"),
        ({"X-Signature": "zz"}, b'{"type": "t"}', 400, "malformed_header"),
        ({"X-Signature": "00" * 32}, b'{"type": "t"}', 401, "bad_signature"),
        (None, b"not json", 400, "not_json"),
        (None, b"[1, 2]", 400, "not_object"),
        (None, b'{"id": "x"}', 400, "missing_type"),
        (None, b"\xff\xfe", 400, "not_json"),
        (None, b"[" * 100_000, 400, "not_json"),
    ],
)
async def test_rejections_store_nothing(
    hooks: WebhookHandler,
    headers: dict[str, str] | None,
    body: bytes,
    status: int,
    reason: str,
    sign: Callable[..., dict[str, str]],
) -> None:
    rejected: list[WebhookRejected] = []
    hooks.add_listener(lambda e: rejected.append(e) if isinstance(e, WebhookRejected) else None)
    client = await client_for(hooks)
    try:
        response = await client.post(
            PATH, data=body, headers=sign(body) if headers is None else headers
        )
        assert response.status == status
        assert (await response.json())["error"] == reason
        assert await hooks.run_once() == 0
    finally:
        await client.close()
    assert rejected == [WebhookRejected("default", status, reason)]
