"""Demo step: a signed webhook sent to an in-process ``paca-webhooks`` receiver."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from paca.integrations._demo._expect import expect
from paca.webhooks import (
    SQLiteInbox,
    StandardWebhooksVerifier,
    WebhookEvent,
    WebhookHandler,
    generate_standard_webhook_secret,
    sign_standard_webhook,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["run"]


async def run(say: Callable[[str], None]) -> None:
    """Deliver an event twice and a forgery once; the handler runs exactly once."""
    secret = generate_standard_webhook_secret()
    processed: list[WebhookEvent] = []
    done = asyncio.Event()
    with tempfile.TemporaryDirectory(prefix="paca-demo-") as tmp:
        hooks = WebhookHandler(
            StandardWebhooksVerifier(secrets=[secret]),
            SQLiteInbox(str(Path(tmp) / "hooks.db")),
            source="billing",
            poll=0.01,
        )

        @hooks.on("invoice.*")
        async def paid(event: WebhookEvent) -> None:
            processed.append(event)
            done.set()

        runner = web.AppRunner(hooks.create_app("/webhooks/billing"), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhooks/billing"
        await hooks.start()
        try:
            body = json.dumps({"id": "evt_42", "type": "invoice.paid", "amount": 1200}).encode()
            headers = sign_standard_webhook(secret, "msg_42", time.time(), body)
            headers["Content-Type"] = "application/json"
            forged = {**headers, "webhook-signature": "v1,Zm9yZ2VkIHNpZ25hdHVyZSBoZXJlISEhISEhISE="}
            async with aiohttp.ClientSession() as session:
                statuses = []
                for sent in (headers, headers, forged):
                    async with session.post(url, data=body, headers=sent) as response:
                        statuses.append(response.status)
            say(f"delivered, redelivered, forged -> HTTP {statuses}")
            expect(statuses[0] // 100 == 2 and statuses[1] // 100 == 2, "deliveries are acked")
            expect(statuses[2] == 401, "a forged signature is rejected with 401")
            await asyncio.wait_for(done.wait(), timeout=10)
            await asyncio.sleep(0.05)  # a second run of the duplicate would show up here
            event = processed[0]
            say(f"handled {event.type} {event.id} once: {len(processed)} run(s)")
            expect(len(processed) == 1, "a redelivered event id runs its handler once")
        finally:
            await hooks.stop()
            await runner.cleanup()
