"""Hypothesis fuzz of headers and bodies against the aiohttp app: never a 500.

Every answer is 200 (a valid, signed delivery), 400, 401 or 413, and a rejected request stores
nothing: the rows in the inbox are exactly the deliveries reported as received.
"""

from __future__ import annotations

import asyncio
import json
import string
from typing import TYPE_CHECKING, Any

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paca.webhooks._handler import WebhookHandler
from paca.webhooks._inbox_sqlite import SQLiteInbox
from paca.webhooks._webhook_events import WebhookReceived, WebhookRejected

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
# Framing headers are the HTTP client's to write (it refuses an empty Content-Length, for one);
# what a raw sender can put there is tested over a plain socket in test_raw_framing.py.
CLIENT_MANAGED = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "host", "connection", "expect"}
    | {"upgrade", "te", "trailer", "keep-alive"}
)
NAMES = (
    st.sampled_from(["X-Signature", "X-Event-Id", "Content-Type"])
    | st.text(alphabet=TOKEN, min_size=1, max_size=20)
).filter(lambda name: name.lower() not in CLIENT_MANAGED)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
BODIES = (
    st.binary(max_size=300)
    | JSONISH.map(lambda v: json.dumps(v).encode())
    | st.fixed_dictionaries({"type": st.text(max_size=10), "id": st.text(max_size=10)}).map(
        lambda v: json.dumps(v).encode()
    )
    | st.binary(min_size=600, max_size=700)
)


def test_no_input_yields_a_500_and_rejections_store_nothing(
    tmp_path: Path, verifier: Any, sign: Callable[..., dict[str, str]]
) -> None:
    loop = asyncio.new_event_loop()
    inbox = SQLiteInbox(tmp_path / "fuzz.db")
    hooks = WebhookHandler(verifier=verifier, inbox=inbox, max_body_size=512)
    received: list[WebhookReceived] = []
    rejected: list[WebhookRejected] = []
    hooks.add_listener(lambda e: received.append(e) if isinstance(e, WebhookReceived) else None)
    hooks.add_listener(lambda e: rejected.append(e) if isinstance(e, WebhookRejected) else None)

    async def make_client() -> TestClient[Any, Any]:
        made: TestClient[Any, Any] = TestClient(TestServer(hooks.create_app(path="/h")))
        await made.start_server()
        return made

    client = loop.run_until_complete(make_client())

    @settings(
        max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        body=BODIES,
        headers=st.dictionaries(NAMES, VALUE, max_size=5),
        signed=st.booleans(),
        chunked=st.booleans(),
    )
    def one(body: bytes, headers: dict[str, str], signed: bool, chunked: bool) -> None:
        if signed:
            headers = {**headers, **sign(body)}
        data: Any = body
        if chunked:

            async def stream() -> Any:
                yield body

            data = stream()
        before = len(rejected)
        response = loop.run_until_complete(client.post("/h", data=data, headers=headers))
        loop.run_until_complete(response.read())
        assert response.status in (200, 400, 401, 413), response.status
        if response.status != 200:
            assert len(rejected) == before + 1
        stored = loop.run_until_complete(inbox.count("pending"))
        assert stored == len(received)

    try:
        one()
    finally:
        loop.run_until_complete(client.close())
        loop.close()
    assert received  # some valid deliveries got through
