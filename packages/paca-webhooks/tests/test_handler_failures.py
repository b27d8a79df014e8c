"""Failures: body limits, an inbox that is down, retries, dead letters and replay."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from paca.webhooks._handler import WebhookEvent, WebhookHandler
from paca.webhooks._inbox import InboxUnavailableError
from paca.webhooks._inbox_redis import RedisInbox
from paca.webhooks._webhook_events import WebhookDeadLettered, WebhookRejected, WebhookRetried

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from paca.webhooks._inbox import Inbox
    from paca.webhooks._inbox_sqlite import SQLiteInbox

PATH = "/hooks"


async def start_client(hooks: WebhookHandler) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = TestClient(TestServer(hooks.create_app(path=PATH)))
    await client.start_server()
    return client


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


class DownInbox:
    """An inbox whose storage is down."""

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def put(self, *args: object) -> bool:
        raise InboxUnavailableError("down", retry_after=7.5)


class BrokenInbox(DownInbox):
    """An inbox that fails with an unexpected exception."""

    async def put(self, *args: object) -> bool:
        raise RuntimeError("boom")


async def test_content_length_over_the_limit_is_413_unread(
    sqlite_inbox: SQLiteInbox, verifier: Any, delivery: Any
) -> None:
    hooks = WebhookHandler(verifier=verifier, inbox=sqlite_inbox, max_body_size=100)
    client = await start_client(hooks)
    try:
        body, headers = delivery("big", blob="x" * 200)
        response = await client.post(PATH, data=body, headers=headers)
        assert response.status == 413
        assert (await response.json())["error"] == "body_too_large"
        assert await sqlite_inbox.count("pending") == 0
    finally:
        await client.close()


async def test_streamed_body_over_the_limit_is_413(
    sqlite_inbox: SQLiteInbox, verifier: Any, delivery: Any
) -> None:
    hooks = WebhookHandler(verifier=verifier, inbox=sqlite_inbox, max_body_size=1000)
    client = await start_client(hooks)
    sent = 0

    async def chunks() -> Any:  # chunked transfer: no Content-Length to check
        nonlocal sent
        for _ in range(1000):
            sent += 1
            yield b"x" * 1024

    try:
        response = await client.post(PATH, data=chunks(), headers={"X-Signature": "00"})
        assert response.status == 413
        assert await sqlite_inbox.count("pending") == 0
    finally:
        await client.close()


@pytest.mark.parametrize("broken", [DownInbox, BrokenInbox])
async def test_inbox_down_answers_503_with_retry_after(
    broken: type[DownInbox], verifier: Any, delivery: Any
) -> None:
    hooks = WebhookHandler(verifier=verifier, inbox=broken(), retry_after=3.0)  # type: ignore[arg-type]
    rejected: list[object] = []
    hooks.add_listener(rejected.append)
    client = await start_client(hooks)
    try:
        body, headers = delivery("evt")
        response = await client.post(PATH, data=body, headers=headers)
        assert response.status == 503
        assert response.headers["Retry-After"] == ("8" if broken is DownInbox else "3")
    finally:
        await client.close()
    assert WebhookRejected("default", 503, "inbox_unavailable") in rejected


async def test_redis_down_answers_503(verifier: Any, delivery: Any) -> None:
    inbox = RedisInbox("redis://127.0.0.1:1/0", prefix="paca-test:down")
    hooks = WebhookHandler(verifier=verifier, inbox=inbox)
    app_server = TestServer(hooks.create_app(path=PATH))
    # the app opens the inbox at startup: mount without the lifecycle instead
    from aiohttp import web

    app = web.Application()
    app.router.add_post(PATH, hooks._receiver.handle)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        body, headers = delivery("evt")
        response = await client.post(PATH, data=body, headers=headers)
        assert response.status == 503
        assert int(response.headers["Retry-After"]) >= 1
    finally:
        await client.close()
        await inbox.close()
    del app_server


@pytest.fixture
async def failing(inbox: Inbox, verifier: Any) -> AsyncIterator[tuple[WebhookHandler, list[int]]]:
    attempts: list[int] = []
    hooks = WebhookHandler(
        verifier=verifier,
        inbox=inbox,
        workers=1,
        max_attempts=3,
        base_delay=0.0,
        max_delay=0.0,
        poll=0.02,
    )

    @hooks.on("invoice.paid")
    async def flaky(event: WebhookEvent) -> None:
        attempts.append(event.attempt)
        if event.payload["data"].get("fail", True):
            raise ValueError("handler failed")

    yield hooks, attempts
    await hooks.stop(drain_timeout=0.1)


async def test_dead_letter_after_n_attempts_then_replay(
    failing: tuple[WebhookHandler, list[int]], delivery: Any
) -> None:
    hooks, attempts = failing
    events: list[object] = []
    hooks.add_listener(events.append)
    client = await start_client(hooks)
    try:
        body, headers = delivery("evt_dead")
        assert (await client.post(PATH, data=body, headers=headers)).status == 200
        await hooks.start()
        await eventually(lambda: any(isinstance(e, WebhookDeadLettered) for e in events))
        assert attempts == [1, 2, 3]
        assert [type(e) for e in events].count(WebhookRetried) == 2
        letters = await hooks.dead_letters()
        assert [(d.event_id, d.attempts) for d in letters] == [("evt_dead", 3)]
        assert letters[0].error is not None
        assert "ValueError" in letters[0].error
        assert letters[0].body == body

        assert await hooks.replay("evt_dead")
        assert not await hooks.replay("evt_dead")  # no longer a dead letter
        await eventually(lambda: len(attempts) == 6)
        await eventually(lambda: sum(isinstance(e, WebhookDeadLettered) for e in events) == 2)
        assert attempts[3:] == [1, 2, 3]

        assert await hooks.replay_all() == 1
        await eventually(lambda: len(attempts) == 9)
        await eventually(lambda: sum(isinstance(e, WebhookDeadLettered) for e in events) == 3)
        # the sender retrying the same event after all this is still a duplicate
        assert (await client.post(PATH, data=body, headers=headers)).status == 200
        await asyncio.sleep(0.1)
        assert len(attempts) == 9
    finally:
        await client.close()


async def test_handler_timeout_counts_as_a_failure(
    sqlite_inbox: SQLiteInbox, verifier: Any, delivery: Any
) -> None:
    hooks = WebhookHandler(
        verifier=verifier,
        inbox=sqlite_inbox,
        max_attempts=2,
        handler_timeout=0.05,
        base_delay=0.0,
        max_delay=0.0,
    )
    never = asyncio.Event()

    @hooks.on("*")
    async def stuck(event: WebhookEvent) -> None:
        await never.wait()

    client = await start_client(hooks)
    try:
        body, headers = delivery("evt_slow")
        assert (await client.post(PATH, data=body, headers=headers)).status == 200
        assert await hooks.run_once() == 2
        letters = await hooks.dead_letters()
        assert len(letters) == 1
        assert letters[0].error is not None
        assert letters[0].error.startswith("timeout")
    finally:
        await client.close()


async def test_verifier_that_raises_something_else_is_400(
    sqlite_inbox: SQLiteInbox, delivery: Any
) -> None:
    class Rude:
        scheme = "rude"

        def verify(self, headers: object, body: bytes, now: float) -> Any:
            raise KeyError("oops")

    hooks = WebhookHandler(verifier=Rude(), inbox=sqlite_inbox)
    client = await start_client(hooks)
    try:
        body, headers = delivery("x")
        response = await client.post(PATH, data=body, headers=headers)
        assert response.status == 400
    finally:
        await client.close()


def test_bad_configuration_raises(verifier: Any, tmp_path: Any) -> None:
    from paca.webhooks._inbox_sqlite import SQLiteInbox

    inbox = SQLiteInbox(tmp_path / "x.db")
    with pytest.raises(ValueError, match="max_body_size"):
        WebhookHandler(verifier=verifier, inbox=inbox, max_body_size=0)
    with pytest.raises(ValueError, match="max_attempts"):
        WebhookHandler(verifier=verifier, inbox=inbox, max_attempts=0)
    hooks = WebhookHandler(verifier=verifier, inbox=inbox)
    with pytest.raises(ValueError, match="route"):
        hooks.on("invoice.*.paid")
    with pytest.raises(ValueError, match="route"):
        hooks.on("")
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteInbox(tmp_path / "y.db", synchronous="OFF")


async def test_default_limit_is_one_mebibyte(
    sqlite_inbox: SQLiteInbox, verifier: Any, sign: Callable[..., dict[str, str]]
) -> None:
    hooks = WebhookHandler(verifier=verifier, inbox=sqlite_inbox)
    client = await start_client(hooks)
    try:
        filler = "x" * (1024 * 1024 - 40)
        fits = ('{"type": "t", "id": "fits", "f": "' + filler + '"}').encode()
        assert len(fits) <= 1024 * 1024
        assert (await client.post(PATH, data=fits, headers=sign(fits))).status == 200
        over = fits + b" " * (1024 * 1024 + 1 - len(fits))
        # a BytesIO: aiohttp's client warns about raw bytes over 1 MiB
        response = await client.post(PATH, data=io.BytesIO(over), headers=sign(over))
        assert response.status == 413
    finally:
        await client.close()
