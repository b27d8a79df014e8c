"""The monitoring events of :class:`~paca.webhooks.WebhookHandler`.

Small frozen records delivered to the listeners registered with
``WebhookHandler.add_listener``. None carries a body, a header value or a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "WebhookAcknowledged",
    "WebhookDeadLettered",
    "WebhookDuplicate",
    "WebhookEventRecord",
    "WebhookProcessed",
    "WebhookReceived",
    "WebhookRejected",
    "WebhookRetried",
]


@dataclass(frozen=True, slots=True)
class WebhookReceived:
    """A new delivery was verified and persisted in the inbox.

    Attributes:
        source: The handler's source label.
        event_id: The event id deduplication used.
        event_type: The event type read from the body.
    """

    source: str
    event_id: str
    event_type: str


@dataclass(frozen=True, slots=True)
class WebhookDuplicate:
    """A delivery repeated an event id already in the inbox; it was acknowledged, not stored."""

    source: str
    event_id: str
    event_type: str


@dataclass(frozen=True, slots=True)
class WebhookRejected:
    """A delivery was refused.

    Attributes:
        source: The handler's source label.
        status: The HTTP status answered (400, 401, 413, 503).
        reason: A short machine-readable label (``"bad_signature"``, ``"body_too_large"``,
            ``"not_json"``, ``"inbox_unavailable"``...).
    """

    source: str
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class WebhookAcknowledged:
    """One request was answered: its status and how long the answer took (ack latency).

    Attributes:
        source: The handler's source label.
        status: The HTTP status answered.
        latency: Seconds from the start of the request handling to the answer.
    """

    source: str
    status: int
    latency: float


@dataclass(frozen=True, slots=True)
class WebhookProcessed:
    """Every handler of an event succeeded.

    Attributes:
        source: The source label stored with the event.
        event_id: The event id.
        event_type: The event type.
        attempt: The attempt that succeeded (1 for the first).
        duration: Seconds the handlers took on that attempt.
        handlers: How many handlers ran (0 when no route matched).
    """

    source: str
    event_id: str
    event_type: str
    attempt: int
    duration: float
    handlers: int


@dataclass(frozen=True, slots=True)
class WebhookRetried:
    """A handler failed; the event will be tried again after ``delay`` seconds.

    Attributes:
        source: The source label stored with the event.
        event_id: The event id.
        event_type: The event type.
        attempt: The attempt that failed.
        delay: Seconds until the next attempt.
        error: A short description of the failure (exception type and kind).
    """

    source: str
    event_id: str
    event_type: str
    attempt: int
    delay: float
    error: str


@dataclass(frozen=True, slots=True)
class WebhookDeadLettered:
    """An event failed ``attempts`` times and was moved to the dead-letter store."""

    source: str
    event_id: str
    event_type: str
    attempts: int
    error: str


WebhookEventRecord = (
    WebhookReceived
    | WebhookDuplicate
    | WebhookRejected
    | WebhookAcknowledged
    | WebhookProcessed
    | WebhookRetried
    | WebhookDeadLettered
)
"""Any monitoring event of this package."""
