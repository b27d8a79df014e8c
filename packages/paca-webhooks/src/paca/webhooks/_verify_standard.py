"""The Standard Webhooks scheme: v1 (HMAC-SHA256) and v1a (ed25519) signatures.

Spec: https://www.standardwebhooks.com/ . The signed content is ``{id}.{timestamp}.{body}``;
the ``webhook-signature`` header holds space-separated ``v1,<base64>`` / ``v1a,<base64>``
entries. Svix's ``svix-*`` headers are accepted as aliases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.result import Secret
from paca.webhooks._verify_common import (
    DEFAULT_TOLERANCE,
    MAX_SIGNATURES,
    HeaderView,
    SecretLike,
    as_body,
    check_now,
    check_window,
    coerce_secrets,
    compare,
    decode_b64,
    hmac_digest,
    parse_timestamp,
    secrets_repr,
    validate_tolerance,
)
from paca.webhooks._verify_protocol import VerificationError, VerifiedDelivery

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "ID_HEADERS",
    "MISSING_CRYPTO",
    "SIGNATURE_HEADERS",
    "TIMESTAMP_HEADERS",
    "StandardWebhooksVerifier",
    "load_ed25519",
    "standard_hmac_key",
]

ID_HEADERS = ("webhook-id", "svix-id")
TIMESTAMP_HEADERS = ("webhook-timestamp", "svix-timestamp")
SIGNATURE_HEADERS = ("webhook-signature", "svix-signature")

_SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a password
_PUBLIC_PREFIX = "whpk_"
_PRIVATE_PREFIX = "whsk_"
_ED25519_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
MISSING_CRYPTO = (
    "ed25519 (v1a) signatures need the 'cryptography' package: pip install 'paca-webhooks[ed25519]'"
)


def load_ed25519() -> type[Ed25519PublicKey]:
    """Import the ed25519 public key class lazily (an optional dependency)."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
            Ed25519PublicKey,
        )
    except ImportError as exc:
        raise ImportError(MISSING_CRYPTO) from exc
    return Ed25519PublicKey


def standard_hmac_key(secret: Secret[str] | Secret[bytes]) -> Secret[bytes]:
    """The HMAC key of a ``whsec_`` secret (base64, prefix optional); raw bytes are the key.

    Raises:
        ValueError: the text is not base64 (the message never includes the secret).
    """
    value = secret.reveal()
    if isinstance(value, bytes):
        return Secret(value)
    text = value.removeprefix(_SECRET_PREFIX)
    key = decode_b64(text)
    if not key:
        msg = f"a Standard Webhooks secret is 'whsec_' + base64 (got {secret.fingerprint()})"
        raise ValueError(msg)
    return Secret(key)


class StandardWebhooksVerifier:
    """Verify Standard Webhooks (and Svix) deliveries, v1 HMAC and v1a ed25519.

    Pass every secret currently valid: ``whsec_...`` (or raw bytes) for v1, ``whpk_...``
    public keys for v1a. A delivery is accepted when any of its signature entries matches
    any configured key, so a rotated key keeps working while it is still configured.

    Example:
        >>> verifier = StandardWebhooksVerifier(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        >>> delivery = verifier.verify(request_headers, raw_body, now=time.time())  # doctest: +SKIP
        >>> delivery.event_id  # doctest: +SKIP
        'msg_p5jXN8AQM9LWM0D4loKWxJek'

    Args:
        secrets: One or several ``whsec_`` secrets and/or ``whpk_`` public keys.
        tolerance: Seconds ``webhook-timestamp`` may be off from ``now``, either direction.

    Raises:
        ValueError: a secret is empty or not base64, or a ``whsk_`` private key was given.
        ImportError: a ``whpk_`` key was given but ``cryptography`` is not installed.
    """

    __slots__ = ("_hmac_keys", "_public_keys", "_secrets", "_tolerance", "scheme")

    def __init__(
        self,
        secrets: Iterable[SecretLike] | SecretLike,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        self.scheme = "standard-webhooks"
        self._secrets = coerce_secrets(secrets)
        self._tolerance = validate_tolerance(tolerance)
        self._hmac_keys: list[Secret[bytes]] = []
        self._public_keys: list[Ed25519PublicKey] = []
        for secret in self._secrets:
            value = secret.reveal()
            if isinstance(value, str) and value.startswith(_PRIVATE_PREFIX):
                msg = "a verifier takes the 'whpk_' public key, not the 'whsk_' private key"
                raise ValueError(msg)
            if isinstance(value, str) and value.startswith(_PUBLIC_PREFIX):
                raw = decode_b64(value.removeprefix(_PUBLIC_PREFIX))
                if raw is None or len(raw) != _ED25519_KEY_SIZE:
                    msg = "a 'whpk_' key is base64 of a 32-byte ed25519 public key"
                    raise ValueError(msg)
                self._public_keys.append(load_ed25519().from_public_bytes(raw))
            else:
                self._hmac_keys.append(standard_hmac_key(secret))

    def __repr__(self) -> str:
        return (
            f"StandardWebhooksVerifier(secrets={secrets_repr(self._secrets)}, "
            f"tolerance={self._tolerance!r})"
        )

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> VerifiedDelivery:
        """Accept the delivery or raise :class:`VerificationError` (400 or 401).

        Args:
            headers: The request headers (any case; ``webhook-*`` or ``svix-*``).
            body: The raw request body, exactly as received.
            now: The current time, epoch seconds.

        Returns:
            The message id (``webhook-id``) and the signed timestamp.
        """
        view = HeaderView(headers)
        raw_body = as_body(body)
        clock = check_now(now)
        signature = view.require(*SIGNATURE_HEADERS, status=401, reason="missing_signature")
        msg_id = view.require(*ID_HEADERS, reason="missing_id")
        raw_ts = view.require(*TIMESTAMP_HEADERS, reason="missing_timestamp")
        timestamp = parse_timestamp(raw_ts)
        check_window(timestamp, clock, self._tolerance)
        v1, v1a = _parse_signatures(signature)
        content = f"{msg_id}.{raw_ts}.".encode() + raw_body
        if self._matches(content, v1, v1a):
            return VerifiedDelivery(event_id=msg_id, timestamp=float(timestamp), scheme=self.scheme)
        raise VerificationError(401, "bad_signature", "no signature matches")

    def _matches(self, content: bytes, v1: list[bytes], v1a: list[bytes]) -> bool:
        if v1:
            for key in self._hmac_keys:
                expected = hmac_digest(key, content)
                if any(compare(expected, given) for given in v1):
                    return True
        if v1a and self._public_keys:
            from cryptography.exceptions import InvalidSignature  # noqa: PLC0415

            for public_key in self._public_keys:
                for given in v1a:
                    try:
                        public_key.verify(given, content)
                    except InvalidSignature:
                        continue
                    return True
        return False


def _parse_signatures(header: str) -> tuple[list[bytes], list[bytes]]:
    """The decoded v1 and v1a entries of a ``webhook-signature`` header (others ignored)."""
    entries = header.split()
    if len(entries) > MAX_SIGNATURES:
        raise VerificationError(400, "too_many_signatures", "too many signature entries")
    v1: list[bytes] = []
    v1a: list[bytes] = []
    for entry in entries:
        version, comma, payload = entry.partition(",")
        if not comma:
            raise VerificationError(400, "malformed_signature", "a signature entry has no version")
        if version not in {"v1", "v1a"}:
            continue
        decoded = decode_b64(payload)
        if decoded is None:
            raise VerificationError(400, "malformed_signature", "a signature is not base64")
        if version == "v1":
            v1.append(decoded)
        elif len(decoded) == _ED25519_SIGNATURE_SIZE:
            v1a.append(decoded)
    if not v1 and not v1a:
        raise VerificationError(401, "unsupported_signature", "no v1 or v1a signature")
    return v1, v1a
