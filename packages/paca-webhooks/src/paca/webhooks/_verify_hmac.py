"""A configurable HMAC signature verifier, the base of the GitHub and Slack schemes."""

from __future__ import annotations

import base64
import string
from typing import TYPE_CHECKING, Literal

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
    decode_hex,
    hmac_digest,
    parse_timestamp,
    raw_key,
    secrets_repr,
    validate_tolerance,
)
from paca.webhooks._verify_protocol import VerificationError, VerifiedDelivery

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from paca.result import Secret

__all__ = ["HMACVerifier"]

_FIELDS = frozenset({"id", "timestamp", "body"})


def _parse_template(template: str) -> tuple[tuple[str, str | None], ...]:
    """Split a template into ``(literal, field)`` pairs; fields are id, timestamp, body."""
    parts: list[tuple[str, str | None]] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        msg = "the template is not a valid format string"
        raise ValueError(msg) from exc
    for literal, field, spec, conversion in parsed:
        if field is not None and (field not in _FIELDS or spec or conversion):
            msg = f"template fields are {{id}}, {{timestamp}} and {{body}}, not {{{field}}}"
            raise ValueError(msg)
        parts.append((literal, field))
    return tuple(parts)


class HMACVerifier:
    """Verify an HMAC signature sent in one header, for any provider.

    The signed message is ``template`` rendered with ``{body}`` (the raw body bytes),
    ``{timestamp}`` (the timestamp header, verbatim) and ``{id}`` (the id header). The header
    holds ``prefix`` followed by the digest in hex or base64; with ``separator``, it may hold
    several such entries (any one matching is enough). Every configured secret is tried, so a
    rotated secret keeps working while it is still configured.

    Example:
        >>> verifier = HMACVerifier(
        ...     ["s3cret"],
        ...     signature_header="X-Signature",
        ...     prefix="sha256=",
        ...     template="{timestamp}.{body}",
        ...     timestamp_header="X-Timestamp",
        ... )
        >>> headers = {"X-Timestamp": "1700000000", "X-Signature": "sha256=..."}
        >>> verifier.verify(headers, b"{}", now=1700000000.0)  # doctest: +SKIP

    Args:
        secrets: One or several secrets (text is used as its UTF-8 bytes).
        signature_header: The header carrying the signature.
        scheme: The name reported in :class:`VerifiedDelivery`.
        algorithm: ``"sha256"`` or ``"sha512"``.
        encoding: ``"hex"`` or ``"base64"`` digest encoding.
        prefix: Text before the digest (``"sha256="``, ``"v0="``).
        template: The signed message, with ``{body}``, ``{timestamp}``, ``{id}`` fields.
        timestamp_header: The header with the signed epoch-seconds timestamp; required when the
            template uses ``{timestamp}``, and then checked against ``now`` +/- ``tolerance``.
        id_header: The header with the event id (reported for deduplication).
        tolerance: Seconds the timestamp may be off, in either direction.
        separator: When set, the header holds several entries separated by it.
    """

    __slots__ = (
        "_algorithm",
        "_encoding",
        "_id_header",
        "_keys",
        "_parts",
        "_prefix",
        "_secrets",
        "_separator",
        "_signature_header",
        "_timestamp_header",
        "_tolerance",
        "scheme",
    )

    def __init__(
        self,
        secrets: Iterable[SecretLike] | SecretLike,
        *,
        signature_header: str,
        scheme: str = "hmac",
        algorithm: Literal["sha256", "sha512"] = "sha256",
        encoding: Literal["hex", "base64"] = "hex",
        prefix: str = "",
        template: str = "{body}",
        timestamp_header: str | None = None,
        id_header: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        separator: str | None = None,
    ) -> None:
        if algorithm not in {"sha256", "sha512"}:
            msg = f"algorithm must be 'sha256' or 'sha512', not {algorithm!r}"
            raise ValueError(msg)
        if encoding not in {"hex", "base64"}:
            msg = f"encoding must be 'hex' or 'base64', not {encoding!r}"
            raise ValueError(msg)
        if not signature_header:
            msg = "signature_header may not be empty"
            raise ValueError(msg)
        if separator == "":
            msg = "separator may not be empty (use None for a single entry)"
            raise ValueError(msg)
        parts = _parse_template(template)
        fields = [field for _, field in parts if field is not None]
        if "timestamp" in fields and timestamp_header is None:
            msg = "the template signs {timestamp}: set timestamp_header"
            raise ValueError(msg)
        if timestamp_header is not None and "timestamp" not in fields:
            msg = "a timestamp that the template does not sign protects nothing"
            raise ValueError(msg)
        if "id" in fields and id_header is None:
            msg = "the template signs {id}: set id_header"
            raise ValueError(msg)
        self.scheme = scheme
        self._secrets = coerce_secrets(secrets)
        self._keys = [raw_key(s) for s in self._secrets]
        self._signature_header = signature_header
        self._algorithm: str = algorithm
        self._encoding: str = encoding
        self._prefix = prefix
        self._parts = parts
        self._timestamp_header = timestamp_header
        self._id_header = id_header
        self._tolerance = validate_tolerance(tolerance)
        self._separator = separator

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(scheme={self.scheme!r}, "
            f"secrets={secrets_repr(self._secrets)}, tolerance={self._tolerance!r})"
        )

    def _message(self, body: bytes, timestamp: str | None, event_id: str | None) -> bytes:
        values = {
            "body": body,
            "timestamp": (timestamp or "").encode(),
            "id": (event_id or "").encode(),
        }
        return b"".join(
            literal.encode() + (values[field] if field else b"") for literal, field in self._parts
        )

    def _encode(self, digest: bytes) -> str:
        if self._encoding == "hex":
            return digest.hex()
        return base64.b64encode(digest).decode()

    def _decode(self, text: str) -> bytes | None:
        return decode_hex(text) if self._encoding == "hex" else decode_b64(text)

    def _sign(
        self, key: Secret[bytes], body: bytes, timestamp: str | None, event_id: str | None
    ) -> str:
        """One header entry (prefix + digest) for ``key``; used by the signing helpers."""
        digest = hmac_digest(key, self._message(body, timestamp, event_id), self._algorithm)
        return self._prefix + self._encode(digest)

    def _given_signatures(self, header: str) -> list[bytes]:
        entries = header.split(self._separator) if self._separator else [header]
        if len(entries) > MAX_SIGNATURES:
            raise VerificationError(400, "too_many_signatures", "too many signature entries")
        given: list[bytes] = []
        for raw_entry in entries:
            entry = raw_entry.strip()
            if not entry.startswith(self._prefix):
                continue
            decoded = self._decode(entry[len(self._prefix) :])
            if decoded is None:
                raise VerificationError(400, "malformed_signature", "a signature is not encoded")
            given.append(decoded)
        if not given:
            raise VerificationError(401, "unsupported_signature", "no signature of this scheme")
        return given

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> VerifiedDelivery:
        """Accept the delivery or raise :class:`VerificationError` (400 or 401).

        Args:
            headers: The request headers (any case).
            body: The raw request body, exactly as received.
            now: The current time, epoch seconds.

        Returns:
            The event id (from ``id_header``, if configured) and the signed timestamp.
        """
        view = HeaderView(headers)
        raw_body = as_body(body)
        clock = check_now(now)
        header = view.require(self._signature_header, status=401, reason="missing_signature")
        raw_ts: str | None = None
        timestamp: float | None = None
        if self._timestamp_header is not None:
            raw_ts = view.require(self._timestamp_header, reason="missing_timestamp")
            timestamp = float(parse_timestamp(raw_ts))
            check_window(timestamp, clock, self._tolerance)
        event_id: str | None = None
        if self._id_header is not None:
            event_id = view.get(self._id_header) or None
            if event_id is None and any(f == "id" for _, f in self._parts):
                raise VerificationError(
                    400, "missing_header", f"header {self._id_header} is missing"
                )
        given = self._given_signatures(header)
        message = self._message(raw_body, raw_ts, event_id)
        for key in self._keys:
            expected = hmac_digest(key, message, self._algorithm)
            if any(compare(expected, candidate) for candidate in given):
                return VerifiedDelivery(event_id=event_id, timestamp=timestamp, scheme=self.scheme)
        raise VerificationError(401, "bad_signature", "no signature matches")
