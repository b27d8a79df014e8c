"""Both inboxes: atomic deduplication, leases, retries, dead letters and pruning."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from paca.webhooks._handler import WebhookEvent, WebhookHandler
from paca.webhooks._inbox import Inbox, InboxUnavailableError
from paca.webhooks._inbox_redis import RedisInbox
from paca.webhooks._inbox_sqlite import SQLiteInbox

if TYPE_CHECKING:
    from pathlib import Path


def test_both_inboxes_implement_the_protocol(tmp_path: Path) -> None:
    assert isinstance(SQLiteInbox(tmp_path / "a.db"), Inbox)
    assert isinstance(RedisInbox("redis://127.0.0.1:6379/0"), Inbox)
    with pytest.raises(ValueError, match="url or a client"):
        RedisInbox()
    with pytest.raises(ValueError, match="retention"):
        RedisInbox("redis://x", retention=0)


async def test_fifty_concurrent_deliveries_of_one_event_run_the_handler_once(
    inbox: Inbox, verifier: Any, delivery: Any
) -> None:
    runs: list[str] = []
    hooks = WebhookHandler(verifier=verifier, inbox=inbox, workers=4, poll=0.02)

    @hooks.on("invoice.paid")
    async def paid(event: WebhookEvent) -> None:
        runs.append(event.id)

    client: TestClient[Any, Any] = TestClient(TestServer(hooks.create_app(path="/h")))
    await client.start_server()
    await hooks.start()
    try:
        body, headers = delivery("evt_same")
        responses = await asyncio.gather(
            *(client.post("/h", data=body, headers=headers) for _ in range(50))
        )
        assert [r.status for r in responses] == [200] * 50
        for _ in range(300):
            if runs:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
    finally:
        await hooks.stop(drain_timeout=1.0)
        await client.close()
    assert runs == ["evt_same"]


async def test_put_is_atomic_under_concurrency(inbox: Inbox) -> None:
    results = await asyncio.gather(
        *(inbox.put("s", "evt", "t", b"{}", 1.0) for _ in range(50)),
        *(inbox.put("other-source", "evt", "t", b"{}", 1.0) for _ in range(10)),
    )
    assert sum(results[:50]) == 1
    assert sum(results[50:]) == 1


async def test_an_expired_lease_is_claimed_again_and_counted(inbox: Inbox) -> None:
    assert await inbox.put("s", "e1", "t", b'{"type": "t"}', 1.0)
    first = await inbox.claim(10, 0.05, 0.0)
    assert [(e.event_id, e.attempts) for e in first] == [("e1", 1)]
    assert await inbox.claim(10, 0.05, 0.0) == []  # leased
    await asyncio.sleep(0.1)
    if isinstance(inbox, RedisInbox):
        # another worker (consumer) takes over what the first one left pending
        other = RedisInbox(
            client=inbox._client, prefix=inbox.prefix, consumer="b", reclaim_interval=0
        )
        again = await other.claim(10, 0.05, 0.0)
    else:
        again = await inbox.claim(10, 0.05, 0.0)
    assert [(e.event_id, e.attempts) for e in again] == [("e1", 2)]
    await inbox.complete(again[0])
    await asyncio.sleep(0.1)
    assert await inbox.claim(10, 0.05, 0.0) == []


async def test_retry_later_then_dead_letter_then_replay(inbox: Inbox) -> None:
    assert await inbox.put("s", "e2", "t", b'{"type": "t"}', 1.0)
    (event,) = await inbox.claim(1, 30, 0.0)
    await inbox.retry_later(event, 0.0, "first failure")
    await asyncio.sleep(0.01)
    (event,) = await inbox.claim(1, 30, 0.0)
    assert event.attempts == 2
    await inbox.dead_letter(event, "second failure")
    assert await inbox.claim(1, 30, 0.0) == []
    (letter,) = await inbox.dead_letters()
    assert (letter.event_id, letter.attempts, letter.error) == ("e2", 2, "second failure")
    assert not await inbox.replay("nope")
    assert await inbox.replay("e2")  # without a source: any source
    (event,) = await inbox.claim(1, 30, 0.0)
    assert (event.event_id, event.attempts) == ("e2", 1)
    await inbox.complete(event)
    assert await inbox.dead_letters() == []
    assert not await inbox.put("s", "e2", "t", b"{}", 2.0)  # still deduplicated


async def test_a_future_retry_is_not_claimed_early(inbox: Inbox) -> None:
    assert await inbox.put("s", "e3", "t", b"{}", 1.0)
    (event,) = await inbox.claim(1, 30, 0.0)
    await inbox.retry_later(event, 60.0, "later")
    assert await inbox.claim(1, 30, 0.0) == []


async def test_sqlite_prune_forgets_old_processed_events(sqlite_inbox: SQLiteInbox) -> None:
    assert await sqlite_inbox.put("s", "old", "t", b"{}", 100.0)
    assert await sqlite_inbox.put("s", "new", "t", b"{}", 10_000.0)
    assert await sqlite_inbox.put("s", "pending", "t", b"{}", 50.0)
    for event in await sqlite_inbox.claim(10, 30, 0.0):
        if event.event_id != "pending":
            await sqlite_inbox.complete(event)
    assert await sqlite_inbox.prune(1000.0) == 1
    assert await sqlite_inbox.put("s", "old", "t", b"{}", 20_000.0)  # forgotten: new again
    assert not await sqlite_inbox.put("s", "new", "t", b"{}", 20_000.0)
    assert not await sqlite_inbox.put("s", "pending", "t", b"{}", 20_000.0)  # never pruned
    assert await sqlite_inbox.count("processed") == 1


@pytest.mark.redis
async def test_redis_dedup_records_expire_after_the_retention(redis_url: str) -> None:
    inbox = RedisInbox(redis_url, prefix=f"paca-test:webhooks:{uuid.uuid4().hex}", retention=0.2)
    try:
        assert await inbox.put("s", "e", "t", b"{}", 1.0)
        assert not await inbox.put("s", "e", "t", b"{}", 1.0)
        assert await inbox.prune(0.0) == 0
        await asyncio.sleep(0.3)
        assert await inbox.put("s", "e", "t", b"{}", 1.0)
        assert await inbox.pending() == 2
    finally:
        await inbox.delete_all()
        await inbox.close()


async def test_sqlite_closed_or_unwritable_raises_unavailable(tmp_path: Path) -> None:
    inbox = SQLiteInbox(tmp_path / "missing-dir" / "x.db")
    with pytest.raises(InboxUnavailableError):
        await inbox.put("s", "e", "t", b"{}", 1.0)
    good = SQLiteInbox(tmp_path / "ok.db")
    async with good:
        assert repr(good).startswith("SQLiteInbox(")
        assert await good.put("s", "e", "t", b"{}", 1.0)
    async with SQLiteInbox(tmp_path / "ok.db") as again:  # committed rows outlive the connection
        assert not await again.put("s", "e", "t", b"{}", 1.0)
        assert await again.count("pending") == 1
