"""The aiohttp request flow: limit, verify, parse, deduplicate, persist, acknowledge.

The order is the promise: the body size is checked before anything is read (``Content-Length``,
then a capped streamed read), the signature is checked on the raw bytes before the body is
parsed, the event is stored atomically (deduplicated on ``(source, event_id)``) and only then
is the 2xx sent. No input yields a 500: a verifier or parser that misbehaves answers 400, an
inbox that is down answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from paca.webhooks._inbox import InboxUnavailableError
from paca.webhooks._verify_protocol import VerificationError
from paca.webhooks._webhook_events import (
    WebhookAcknowledged,
    WebhookDuplicate,
    WebhookReceived,
    WebhookRejected,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from paca.resilience import Listeners
    from paca.webhooks._inbox import Inbox
    from paca.webhooks._verify_protocol import Verifier
    from paca.webhooks._webhook_events import WebhookEventRecord

__all__ = ["Receiver", "event_identity"]

_log = logging.getLogger("paca.webhooks")
_CHUNK = 64 * 1024
_MAX_ID = 512


class _Reject(Exception):  # noqa: N818 - a control-flow signal, not an error type
    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


def event_identity(
    body: bytes, verified_id: str | None, type_field: str, id_field: str
) -> tuple[str, str]:
    """Parse a verified body and return ``(event_id, event_type)``.

    The id is the verifier's, else the body's ``id_field`` (a non-empty string), else the
    SHA-256 of the body (identical bodies are the same event).

    Raises:
        ValueError: The body is not a JSON object with a string ``type_field``.
    """
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError("not_json") from exc
    if not isinstance(payload, dict):
        raise ValueError("not_object")
    event_type = payload.get(type_field)
    if not isinstance(event_type, str) or not event_type or len(event_type) > _MAX_ID:
        raise ValueError("missing_type")
    event_id = verified_id
    if not event_id:
        candidate = payload.get(id_field)
        if isinstance(candidate, str) and candidate:
            event_id = candidate
        else:
            event_id = "sha256:" + hashlib.sha256(body).hexdigest()
    if len(event_id) > _MAX_ID:
        raise ValueError("id_too_long")
    return event_id, event_type


@dataclass(eq=False)
class Receiver:
    """The request handler of one mounted path.

    Attributes:
        verifier: The signature scheme.
        inbox: Where verified deliveries are stored.
        listeners: The handler's listeners.
        source: The label deduplication is scoped by.
        type_field: The JSON field holding the event type.
        id_field: The JSON field holding the event id when the scheme carries none.
        max_body_size: Bytes; a larger body is answered 413 unread.
        retry_after: Seconds advertised with a 503.
        wall_clock: Epoch seconds for the verifier's timestamp check and ``received_at``.
        timer: Monotonic seconds for ack latency.
    """

    verifier: Verifier
    inbox: Inbox
    listeners: Listeners[WebhookEventRecord]
    source: str
    type_field: str = "type"
    id_field: str = "id"
    max_body_size: int = 1024 * 1024
    retry_after: float = 5.0
    wall_clock: Callable[[], float] = time.time
    timer: Callable[[], float] = time.perf_counter

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one delivery (an aiohttp handler)."""
        started = self.timer()
        try:
            status = await self._accept(request)
            response = web.Response(status=status)
        except _Reject as reject:
            if self.listeners:
                self.listeners.emit(WebhookRejected(self.source, reject.status, reject.reason))
            headers = {}
            if reject.retry_after is not None:
                headers["Retry-After"] = str(max(1, math.ceil(reject.retry_after)))
            response = web.json_response(
                {"error": reject.reason}, status=reject.status, headers=headers
            )
        if self.listeners:
            latency = self.timer() - started
            self.listeners.emit(WebhookAcknowledged(self.source, response.status, latency))
        return response

    async def _read(self, request: web.Request) -> bytes:
        limit = self.max_body_size
        length = request.content_length
        if length is not None and length > limit:
            raise _Reject(413, "body_too_large")
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = await request.content.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise _Reject(413, "body_too_large")
                chunks.append(chunk)
        except web.HTTPException:
            raise _Reject(400, "unreadable_body") from None
        return b"".join(chunks)

    async def _accept(self, request: web.Request) -> int:
        if request.method != "POST":
            raise _Reject(405, "method_not_allowed")
        body = await self._read(request)
        try:
            delivery = self.verifier.verify(request.headers, body, self.wall_clock())
        except VerificationError as exc:
            status = exc.status if exc.status in (400, 401) else 400
            raise _Reject(status, exc.reason) from None
        except Exception:
            _log.exception("verifier %r raised instead of VerificationError", self.verifier)
            raise _Reject(400, "unverifiable") from None
        try:
            event_id, event_type = event_identity(
                body, delivery.event_id, self.type_field, self.id_field
            )
        except ValueError as exc:
            raise _Reject(400, str(exc)) from None
        try:
            stored = await self.inbox.put(
                self.source, event_id, event_type, body, self.wall_clock()
            )
        except InboxUnavailableError as exc:
            raise _Reject(503, "inbox_unavailable", exc.retry_after) from None
        except Exception:
            _log.exception("inbox %r failed to store a delivery", self.inbox)
            raise _Reject(503, "inbox_unavailable", self.retry_after) from None
        if self.listeners:
            record: Any = (WebhookReceived if stored else WebhookDuplicate)(
                self.source, event_id, event_type
            )
            self.listeners.emit(record)
        return 200
