"""Fixtures of the receiver, inbox and dispatcher tests: a small HMAC verifier and inboxes."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from paca.webhooks._inbox_redis import RedisInbox
from paca.webhooks._inbox_sqlite import SQLiteInbox
from paca.webhooks._verify_protocol import VerificationError, VerifiedDelivery

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping
    from pathlib import Path

    from paca.webhooks._inbox import Inbox

SECRET = b"test-secret"


class HmacTestVerifier:
    """HMAC-SHA256 of the body, hex, in ``X-Signature``; event id in ``X-Event-Id``."""

    scheme = "test-hmac"

    def __init__(self, secret: bytes = SECRET) -> None:
        self.secret = secret

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> VerifiedDelivery:
        given = headers.get("X-Signature")
        if not given:
            raise VerificationError(401, "missing_signature")
        try:
            raw = bytes.fromhex(given)
        except ValueError:
            raise VerificationError(400, "malformed_header") from None
        expected = hmac.new(self.secret, body, hashlib.sha256).digest()
        if not hmac.compare_digest(raw, expected):
            raise VerificationError(401, "bad_signature")
        return VerifiedDelivery(headers.get("X-Event-Id") or None, now, self.scheme)


def sign_body(body: bytes, event_id: str | None = None, secret: bytes = SECRET) -> dict[str, str]:
    headers = {
        "X-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }
    if event_id is not None:
        headers["X-Event-Id"] = event_id
    return headers


def make_delivery(
    event_id: str, event_type: str = "invoice.paid", **data: Any
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": event_id, "type": event_type, "data": data}).encode()
    return body, sign_body(body, event_id)


@pytest.fixture
def verifier() -> HmacTestVerifier:
    return HmacTestVerifier()


@pytest.fixture
def delivery() -> Callable[..., tuple[bytes, dict[str, str]]]:
    return make_delivery


@pytest.fixture
async def sqlite_inbox(tmp_path: Path) -> AsyncIterator[SQLiteInbox]:
    inbox = SQLiteInbox(tmp_path / "hooks.db")
    await inbox.open()
    yield inbox
    await inbox.close()


@pytest.fixture
async def redis_inbox(redis_url: str) -> AsyncIterator[RedisInbox]:
    inbox = RedisInbox(redis_url, prefix=f"paca-test:webhooks:{uuid.uuid4().hex}")
    await inbox.open()
    yield inbox
    await inbox.delete_all()
    await inbox.close()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Inbox]:
    if request.param == "sqlite":
        sqlite = SQLiteInbox(tmp_path / "hooks.db")
        await sqlite.open()
        yield sqlite
        await sqlite.close()
        return
    redis_url = request.getfixturevalue("redis_url")
    shared = RedisInbox(redis_url, prefix=f"paca-test:webhooks:{uuid.uuid4().hex}")
    await shared.open()
    yield shared
    await shared.delete_all()
    await shared.close()


@pytest.fixture
def sign() -> Callable[..., dict[str, str]]:
    return sign_body
