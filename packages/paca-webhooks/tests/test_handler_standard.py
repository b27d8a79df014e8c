"""Integration: the receiver with the real StandardWebhooksVerifier, on both inboxes."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp.test_utils import TestClient, TestServer

from paca.webhooks._handler import WebhookEvent, WebhookHandler
from paca.webhooks._signing import generate_standard_webhook_secret, sign_standard_webhook
from paca.webhooks._verifiers import StandardWebhooksVerifier

if TYPE_CHECKING:
    from paca.webhooks._inbox import Inbox


async def test_standard_webhooks_deliveries_end_to_end(inbox: Inbox) -> None:
    secret = generate_standard_webhook_secret()
    hooks = WebhookHandler(
        verifier=StandardWebhooksVerifier([secret]), inbox=inbox, source="billing", poll=0.02
    )
    seen: list[WebhookEvent] = []

    @hooks.on("invoice.*")
    async def invoice(event: WebhookEvent) -> None:
        seen.append(event)

    client: TestClient[Any, Any] = TestClient(TestServer(hooks.create_app("/webhooks/billing")))
    await client.start_server()
    await hooks.start()
    try:
        body = json.dumps({"type": "invoice.paid", "data": {"amount": 12}}).encode()
        headers = sign_standard_webhook(secret, "msg_1", time.time(), body)
        statuses = [
            (await client.post("/webhooks/billing", data=body, headers=headers)).status
            for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        tampered = (
            await client.post("/webhooks/billing", data=body + b" ", headers=headers)
        ).status
        assert tampered == 401
        stale = sign_standard_webhook(secret, "msg_2", time.time() - 3600, body)
        assert (await client.post("/webhooks/billing", data=body, headers=stale)).status == 401
        malformed = {**headers, "webhook-timestamp": "not-a-number"}
        assert (await client.post("/webhooks/billing", data=body, headers=malformed)).status in (
            400,
            401,
        )
        for _ in range(300):
            if seen:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
    finally:
        await hooks.stop(drain_timeout=0.5)
        await client.close()
    assert [(e.id, e.type, e.source) for e in seen] == [("msg_1", "invoice.paid", "billing")]
