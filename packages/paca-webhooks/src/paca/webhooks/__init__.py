"""Verified, deduplicated, durable webhook intake on aiohttp.

``WebhookHandler`` receives a delivery, checks its size before reading it, verifies its
signature on the raw bytes, deduplicates it atomically by (source, event id), persists it in an
inbox, and only then answers 2xx; workers dispatch it to the handlers with retries and a
dead-letter store. ``SQLiteInbox`` is the embedded default; ``RedisInbox`` shares one event
stream (Redis Streams consumer groups) between many receivers and workers.

Answers: 413 before reading an oversized body, 401 for a bad signature, 400 for malformed
headers or body (never 500, whatever the input), 503 with Retry-After when the inbox is down,
2xx for a new or duplicate event.

Exceptions::

    VerificationError        a verifier rejected a delivery (its ``status``: 400 or 401)
    InboxUnavailableError    the inbox could not store or read (the receiver answers 503)
"""

from paca.webhooks._dispatch import EventHandler, WebhookEvent
from paca.webhooks._handler import WebhookHandler
from paca.webhooks._inbox import Inbox, InboxUnavailableError, StoredEvent
from paca.webhooks._inbox_redis import RedisInbox
from paca.webhooks._inbox_sqlite import SQLiteInbox
from paca.webhooks._signing import (
    Ed25519KeyPair,
    generate_standard_webhook_keypair,
    generate_standard_webhook_secret,
    sign_github,
    sign_hmac,
    sign_slack,
    sign_standard_webhook,
    sign_stripe,
)
from paca.webhooks._verifiers import (
    GitHubVerifier,
    HMACVerifier,
    SlackVerifier,
    StandardWebhooksVerifier,
    StripeVerifier,
)
from paca.webhooks._verify_protocol import VerificationError, VerifiedDelivery, Verifier
from paca.webhooks._webhook_events import (
    WebhookAcknowledged,
    WebhookDeadLettered,
    WebhookDuplicate,
    WebhookEventRecord,
    WebhookProcessed,
    WebhookReceived,
    WebhookRejected,
    WebhookRetried,
)

__all__ = [
    # receiving and dispatching
    "WebhookHandler",
    "WebhookEvent",
    "EventHandler",
    # inboxes
    "Inbox",
    "SQLiteInbox",
    "RedisInbox",
    "StoredEvent",
    "InboxUnavailableError",
    # verifying
    "Verifier",
    "VerifiedDelivery",
    "VerificationError",
    "StandardWebhooksVerifier",
    "StripeVerifier",
    "GitHubVerifier",
    "SlackVerifier",
    "HMACVerifier",
    # signing, for tests and senders
    "sign_standard_webhook",
    "sign_stripe",
    "sign_github",
    "sign_slack",
    "sign_hmac",
    "generate_standard_webhook_secret",
    "generate_standard_webhook_keypair",
    "Ed25519KeyPair",
    # monitoring events
    "WebhookEventRecord",
    "WebhookReceived",
    "WebhookDuplicate",
    "WebhookRejected",
    "WebhookAcknowledged",
    "WebhookProcessed",
    "WebhookRetried",
    "WebhookDeadLettered",
]
