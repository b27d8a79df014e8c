"""Sign a body the way each provider does, to test your own webhook endpoints.

Each ``sign_*`` helper returns the headers a genuine delivery would carry, ready to merge into a
test request; the matching verifier accepts them. Nothing here reads a clock: pass the
timestamp.

Example:
    >>> headers = sign_github("It's a Secret to Everybody", b"Hello, World!")
    >>> headers["X-Hub-Signature-256"][:15]
    'sha256=757107ea'
"""

from __future__ import annotations

import base64
import math
import secrets as _random
import uuid
from typing import TYPE_CHECKING, NamedTuple

from paca.result import Secret
from paca.webhooks._verify_common import (
    coerce_secrets,
    decode_b64,
    hmac_digest,
    raw_key,
)
from paca.webhooks._verify_standard import MISSING_CRYPTO, standard_hmac_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from paca.webhooks._verify_common import SecretLike
    from paca.webhooks._verify_hmac import HMACVerifier

__all__ = [
    "Ed25519KeyPair",
    "generate_standard_webhook_keypair",
    "generate_standard_webhook_secret",
    "sign_github",
    "sign_hmac",
    "sign_slack",
    "sign_standard_webhook",
    "sign_stripe",
]

_PRIVATE_PREFIX = "whsk_"
_SEED_SIZE = 32
_KEYPAIR_SIZE = 64


class Ed25519KeyPair(NamedTuple):
    """A Standard Webhooks v1a key pair: sign with ``secret_key``, verify with ``public_key``."""

    secret_key: Secret[str]
    """``whsk_`` + base64 of the 32-byte seed followed by the 32-byte public key."""
    public_key: str
    """``whpk_`` + base64 of the 32-byte public key (give it to the verifier)."""


def _one(secret: SecretLike) -> Secret[str] | Secret[bytes]:
    return coerce_secrets([secret])[0]


def _body(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else bytes(body)


def _seconds(timestamp: float) -> str:
    return str(math.floor(timestamp))


def _hex(key: Secret[bytes], message: bytes) -> str:
    return hmac_digest(key, message).hex()


def generate_standard_webhook_secret() -> Secret[str]:
    """A new random ``whsec_`` secret (24 random bytes, as Svix generates)."""
    return Secret("whsec_" + base64.b64encode(_random.token_bytes(24)).decode())


def _private_key_class() -> type[Ed25519PrivateKey]:
    """Import the ed25519 private key class lazily (an optional dependency)."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
            Ed25519PrivateKey,
        )
    except ImportError as exc:
        raise ImportError(MISSING_CRYPTO) from exc
    return Ed25519PrivateKey


def generate_standard_webhook_keypair() -> Ed25519KeyPair:
    """A new ed25519 key pair for v1a signatures (needs ``cryptography``)."""
    private = _private_key_class().generate()
    public = private.public_key().public_bytes_raw()
    raw = private.private_bytes_raw() + public
    return Ed25519KeyPair(
        secret_key=Secret(_PRIVATE_PREFIX + base64.b64encode(raw).decode()),
        public_key="whpk_" + base64.b64encode(public).decode(),
    )


def _sign_v1a(secret: str, content: bytes) -> str:
    raw = decode_b64(secret.removeprefix(_PRIVATE_PREFIX))
    if raw is None or len(raw) not in {_SEED_SIZE, _KEYPAIR_SIZE}:
        msg = "a 'whsk_' key is base64 of a 32-byte seed (optionally + the public key)"
        raise ValueError(msg)
    signature = _private_key_class().from_private_bytes(raw[:_SEED_SIZE]).sign(content)
    return "v1a," + base64.b64encode(signature).decode()


def sign_standard_webhook(
    secret: SecretLike,
    msg_id: str,
    timestamp: float,
    body: bytes | str,
    *,
    svix: bool = False,
) -> dict[str, str]:
    """The Standard Webhooks headers of a delivery.

    Args:
        secret: A ``whsec_`` secret (or raw key bytes) for a v1 signature, or a ``whsk_``
            private key for a v1a (ed25519) signature.
        msg_id: The message id (``webhook-id``).
        timestamp: Epoch seconds (floored to an integer).
        body: The raw body (text is UTF-8 encoded).
        svix: Name the headers ``svix-*`` instead of ``webhook-*``.

    Returns:
        ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (or ``svix-*``).
    """
    wrapped = _one(secret)
    seconds = _seconds(timestamp)
    content = f"{msg_id}.{seconds}.".encode() + _body(body)
    value = wrapped.reveal()
    if isinstance(value, str) and value.startswith(_PRIVATE_PREFIX):
        signature = _sign_v1a(value, content)
    else:
        digest = hmac_digest(standard_hmac_key(wrapped), content)
        signature = "v1," + base64.b64encode(digest).decode()
    prefix = "svix" if svix else "webhook"
    return {
        f"{prefix}-id": msg_id,
        f"{prefix}-timestamp": seconds,
        f"{prefix}-signature": signature,
    }


def sign_stripe(secret: SecretLike, timestamp: float, body: bytes | str) -> dict[str, str]:
    """The ``Stripe-Signature`` header (``t=...,v1=...``) of a delivery.

    Args:
        secret: The endpoint's signing secret (``whsec_...``, used verbatim).
        timestamp: Epoch seconds (floored to an integer).
        body: The raw body (text is UTF-8 encoded).

    Returns:
        ``{"Stripe-Signature": ...}``.
    """
    seconds = _seconds(timestamp)
    signature = _hex(raw_key(_one(secret)), seconds.encode() + b"." + _body(body))
    return {"Stripe-Signature": f"t={seconds},v1={signature}"}


def sign_github(
    secret: SecretLike, body: bytes | str, *, delivery_id: str | None = None
) -> dict[str, str]:
    """The ``X-Hub-Signature-256`` and ``X-GitHub-Delivery`` headers of a delivery.

    Args:
        secret: The webhook secret.
        body: The raw body (text is UTF-8 encoded).
        delivery_id: The delivery GUID (a random one by default).

    Returns:
        ``{"X-Hub-Signature-256": "sha256=<hex>", "X-GitHub-Delivery": ...}``.
    """
    signature = _hex(raw_key(_one(secret)), _body(body))
    return {
        "X-Hub-Signature-256": "sha256=" + signature,
        "X-GitHub-Delivery": delivery_id if delivery_id is not None else str(uuid.uuid4()),
    }


def sign_slack(secret: SecretLike, timestamp: float, body: bytes | str) -> dict[str, str]:
    """The ``X-Slack-Signature`` and ``X-Slack-Request-Timestamp`` headers of a request.

    Args:
        secret: The app's signing secret.
        timestamp: Epoch seconds (floored to an integer).
        body: The raw body (text is UTF-8 encoded).

    Returns:
        ``{"X-Slack-Signature": "v0=<hex>", "X-Slack-Request-Timestamp": ...}``.
    """
    seconds = _seconds(timestamp)
    signature = _hex(raw_key(_one(secret)), b"v0:" + seconds.encode() + b":" + _body(body))
    return {"X-Slack-Signature": "v0=" + signature, "X-Slack-Request-Timestamp": seconds}


def sign_hmac(
    verifier: HMACVerifier,
    body: bytes | str,
    *,
    timestamp: float | None = None,
    event_id: str | None = None,
    secret: SecretLike | None = None,
) -> dict[str, str]:
    """The headers an :class:`HMACVerifier` (or a subclass) accepts for ``body``.

    Args:
        verifier: The verifier whose configuration (headers, template, encoding) to follow.
        body: The raw body (text is UTF-8 encoded).
        timestamp: Epoch seconds, required when the verifier has a timestamp header.
        event_id: The event id, sent in the verifier's id header when it has one.
        secret: The secret to sign with (default: the verifier's first secret).

    Returns:
        The signature header, plus the timestamp and id headers when configured.

    Raises:
        ValueError: the verifier signs a timestamp or an event id that was not given.
    """
    key = raw_key(_one(secret)) if secret is not None else verifier._keys[0]
    seconds = None if timestamp is None else _seconds(timestamp)
    headers: dict[str, str] = {}
    if verifier._timestamp_header is not None:
        if seconds is None:
            msg = "this verifier signs a timestamp: pass timestamp="
            raise ValueError(msg)
        headers[verifier._timestamp_header] = seconds
    if event_id is None and any(field == "id" for _, field in verifier._parts):
        msg = "this verifier signs the event id: pass event_id="
        raise ValueError(msg)
    if verifier._id_header is not None and event_id is not None:
        headers[verifier._id_header] = event_id
    headers[verifier._signature_header] = verifier._sign(key, _body(body), seconds, event_id)
    return headers
