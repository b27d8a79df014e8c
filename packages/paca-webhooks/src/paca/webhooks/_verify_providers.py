"""The signature schemes of Stripe, GitHub and Slack."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    decode_hex,
    hmac_digest,
    parse_timestamp,
    raw_key,
    secrets_repr,
    validate_tolerance,
)
from paca.webhooks._verify_hmac import HMACVerifier
from paca.webhooks._verify_protocol import VerificationError, VerifiedDelivery

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["GitHubVerifier", "SlackVerifier", "StripeVerifier", "parse_stripe_header"]

STRIPE_HEADER = "Stripe-Signature"


def parse_stripe_header(header: str) -> tuple[str, list[bytes]]:
    """The raw ``t`` value and the decoded ``v1`` signatures of a ``Stripe-Signature`` header.

    Raises:
        VerificationError: 400 when the header is malformed, 401 when it has no ``v1``.
    """
    timestamps: list[str] = []
    v1: list[bytes] = []
    for item in header.split(","):
        key, equals, value = item.strip().partition("=")
        if not equals:
            raise VerificationError(400, "malformed_header", "Stripe-Signature is malformed")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            decoded = decode_hex(value)
            if decoded is None:
                raise VerificationError(400, "malformed_signature", "a signature is not hex")
            v1.append(decoded)
    if len(timestamps) != 1:
        raise VerificationError(400, "malformed_timestamp", "Stripe-Signature needs one t=")
    if len(v1) > MAX_SIGNATURES:
        raise VerificationError(400, "too_many_signatures", "too many signature entries")
    if not v1:
        raise VerificationError(401, "unsupported_signature", "no v1 signature")
    return timestamps[0], v1


class StripeVerifier:
    """Verify Stripe webhook deliveries (``Stripe-Signature: t=...,v1=...``).

    The signed payload is ``{t}.{body}``, HMAC-SHA256 keyed with the endpoint's signing secret
    (``whsec_...``, used verbatim). Stripe sends one ``v1`` entry per active secret while you
    roll a secret; any match is enough. The event id is inside the JSON body, so
    :attr:`VerifiedDelivery.event_id` is ``None``.

    Example:
        >>> verifier = StripeVerifier(["whsec_..."])
        >>> verifier.verify(request_headers, raw_body, now=time.time())  # doctest: +SKIP

    Args:
        secrets: One or several endpoint signing secrets.
        tolerance: Seconds ``t`` may be off from ``now``, in either direction.
    """

    __slots__ = ("_keys", "_secrets", "_tolerance", "scheme")

    def __init__(
        self,
        secrets: Iterable[SecretLike] | SecretLike,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        self.scheme = "stripe"
        self._secrets = coerce_secrets(secrets)
        self._keys = [raw_key(s) for s in self._secrets]
        self._tolerance = validate_tolerance(tolerance)

    def __repr__(self) -> str:
        return (
            f"StripeVerifier(secrets={secrets_repr(self._secrets)}, tolerance={self._tolerance!r})"
        )

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> VerifiedDelivery:
        """Accept the delivery or raise :class:`VerificationError` (400 or 401).

        Args:
            headers: The request headers (any case).
            body: The raw request body, exactly as received.
            now: The current time, epoch seconds.

        Returns:
            The signed timestamp; no event id (it is in the body).
        """
        view = HeaderView(headers)
        raw_body = as_body(body)
        clock = check_now(now)
        header = view.require(STRIPE_HEADER, status=401, reason="missing_signature")
        raw_ts, given = parse_stripe_header(header)
        timestamp = parse_timestamp(raw_ts)
        check_window(timestamp, clock, self._tolerance)
        payload = raw_ts.encode() + b"." + raw_body
        for key in self._keys:
            expected = hmac_digest(key, payload)
            if any(compare(expected, candidate) for candidate in given):
                return VerifiedDelivery(event_id=None, timestamp=float(timestamp), scheme="stripe")
        raise VerificationError(401, "bad_signature", "no signature matches")


class GitHubVerifier(HMACVerifier):
    """Verify GitHub webhook deliveries (``X-Hub-Signature-256: sha256=<hex>``).

    The signature is HMAC-SHA256 of the body under the webhook secret. GitHub signs no
    timestamp (replays are caught by deduplication on ``X-GitHub-Delivery``, reported as the
    event id). The legacy SHA-1 ``X-Hub-Signature`` header is not accepted.

    Example:
        >>> verifier = GitHubVerifier(["It's a Secret to Everybody"])
        >>> verifier.verify(request_headers, raw_body, now=time.time())  # doctest: +SKIP

    Args:
        secrets: One or several webhook secrets.
    """

    __slots__ = ()

    def __init__(self, secrets: Iterable[SecretLike] | SecretLike) -> None:
        super().__init__(
            secrets,
            scheme="github",
            signature_header="X-Hub-Signature-256",
            prefix="sha256=",
            id_header="X-GitHub-Delivery",
        )

    def __repr__(self) -> str:
        return f"GitHubVerifier(secrets={secrets_repr(self._secrets)})"


class SlackVerifier(HMACVerifier):
    """Verify Slack request signatures (``X-Slack-Signature: v0=<hex>``).

    The signature is HMAC-SHA256 of ``v0:{X-Slack-Request-Timestamp}:{body}`` under the app's
    signing secret. Slack sends no event id header, so the event id is ``None``.

    Example:
        >>> verifier = SlackVerifier(["8f742231b10e8888abcd99yyyzzz85a5"])
        >>> verifier.verify(request_headers, raw_body, now=time.time())  # doctest: +SKIP

    Args:
        secrets: One or several signing secrets.
        tolerance: Seconds the timestamp may be off from ``now``, in either direction.
    """

    __slots__ = ()

    def __init__(
        self,
        secrets: Iterable[SecretLike] | SecretLike,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        super().__init__(
            secrets,
            scheme="slack",
            signature_header="X-Slack-Signature",
            prefix="v0=",
            template="v0:{timestamp}:{body}",
            timestamp_header="X-Slack-Request-Timestamp",
            tolerance=tolerance,
        )

    def __repr__(self) -> str:
        return (
            f"SlackVerifier(secrets={secrets_repr(self._secrets)}, tolerance={self._tolerance!r})"
        )
