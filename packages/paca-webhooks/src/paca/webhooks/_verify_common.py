"""Pure helpers shared by the signature verifiers: header access, parsing, the time window.

Everything here turns hostile input into :class:`VerificationError` (400 malformed, 401 not
authentic) and never lets another exception out. Nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from typing import TYPE_CHECKING, TypeAlias

from paca.result import Secret
from paca.webhooks._verify_protocol import VerificationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_HEADER_LENGTH",
    "MAX_SIGNATURES",
    "HeaderView",
    "SecretLike",
    "as_body",
    "check_now",
    "check_window",
    "coerce_secrets",
    "compare",
    "decode_b64",
    "decode_hex",
    "hmac_digest",
    "parse_timestamp",
    "raw_key",
    "secrets_repr",
    "validate_tolerance",
]

DEFAULT_TOLERANCE = 300.0
"""Seconds a signed timestamp may differ from ``now``, in either direction."""

MAX_HEADER_LENGTH = 8192
"""Longest value accepted for any header a verifier reads (a longer one is malformed: 400)."""

MAX_SIGNATURES = 16
"""Most signature entries checked in one header (more is malformed: 400)."""

SecretLike: TypeAlias = "str | bytes | Secret[str] | Secret[bytes]"
"""A secret as users may pass it: raw or already wrapped in :class:`paca.result.Secret`."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _malformed(reason: str, message: str | None = None) -> VerificationError:
    return VerificationError(400, reason, message)


class HeaderView:
    """Case-insensitive, validated read access to the few headers a verifier needs.

    Built from any mapping (a ``dict``, aiohttp's ``CIMultiDictProxy``); keys that are not
    strings are ignored, and a header given twice under different cases (or twice in a
    multi-dict) is ambiguous: reading it is malformed (400).
    """

    __slots__ = ("_duplicates", "_values")

    def __init__(self, headers: Mapping[str, str]) -> None:
        values: dict[str, object] = {}
        duplicates: set[str] = set()
        try:
            items = list(headers.items())
        except Exception as exc:  # a broken mapping is the caller's input too
            raise _malformed("malformed_headers") from exc
        for key, value in items:
            if not isinstance(key, str):
                continue
            low = key.lower()
            if low in values:
                duplicates.add(low)
            values[low] = value
        self._values = values
        self._duplicates = duplicates

    def get(self, *names: str) -> str | None:
        """The value of the first of ``names`` present (ASCII, bounded), else ``None``.

        Raises:
            VerificationError: 400 when the value is duplicated, not a string, not printable
                ASCII, or longer than :data:`MAX_HEADER_LENGTH`.
        """
        for name in names:
            low = name.lower()
            if low not in self._values:
                continue
            if low in self._duplicates:
                raise _malformed("duplicate_header", f"header {name} is given more than once")
            value = self._values[low]
            if not isinstance(value, str):
                raise _malformed("malformed_header", f"header {name} is not text")
            if len(value) > MAX_HEADER_LENGTH:
                raise _malformed("header_too_large", f"header {name} is too long")
            if not value.isascii() or not value.isprintable():
                raise _malformed("malformed_header", f"header {name} is not printable ASCII")
            return value.strip(" \t")
        return None

    def require(self, *names: str, status: int = 400, reason: str = "missing_header") -> str:
        """Like :meth:`get`, but a missing (or empty) header raises ``status``/``reason``."""
        value = self.get(*names)
        if not value:
            raise VerificationError(status, reason, f"header {names[0]} is missing")
        return value


def as_body(body: object) -> bytes:
    """The raw body as ``bytes`` (``bytearray``/``memoryview`` accepted), else 400."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    raise _malformed("malformed_body", "the body must be the raw bytes")


def check_now(now: object) -> float:
    """The receiver's clock reading, which must be a finite number."""
    if isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now):
        raise VerificationError(401, "invalid_clock", "the verifier was given no usable time")
    return float(now)


def validate_tolerance(tolerance: float) -> float:
    """Check a configured tolerance (a finite number of seconds, not negative)."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
        msg = "tolerance must be a number of seconds"
        raise TypeError(msg)
    if not math.isfinite(tolerance) or tolerance < 0:
        msg = "tolerance must be a finite, non-negative number of seconds"
        raise ValueError(msg)
    return float(tolerance)


def parse_timestamp(raw: str) -> int:
    """A decimal integer timestamp (epoch seconds), else 400 ``malformed_timestamp``."""
    if not _TIMESTAMP.fullmatch(raw):
        raise _malformed("malformed_timestamp", "the timestamp is not an integer")
    return int(raw)


def check_window(timestamp: float, now: float, tolerance: float) -> None:
    """401 when ``timestamp`` is more than ``tolerance`` seconds before or after ``now``."""
    if timestamp < now - tolerance:
        raise VerificationError(401, "timestamp_too_old", "the timestamp is too old")
    if timestamp > now + tolerance:
        raise VerificationError(401, "timestamp_in_future", "the timestamp is in the future")


def decode_hex(text: str) -> bytes | None:
    """Strict hex (no spaces, even length), else ``None``."""
    if not _HEX.fullmatch(text):
        return None
    return bytes.fromhex(text)


def decode_b64(text: str) -> bytes | None:
    """Strict standard base64 (padding optional), else ``None``."""
    if not _B64.fullmatch(text):
        return None
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def hmac_digest(key: Secret[bytes], message: bytes, algorithm: str = "sha256") -> bytes:
    """HMAC of ``message`` under ``key``; the key is revealed only here."""
    return hmac.new(key.reveal(), message, getattr(hashlib, algorithm)).digest()


def compare(expected: bytes, given: bytes) -> bool:
    """Constant-time equality of two digests."""
    return hmac.compare_digest(expected, given)


def coerce_secrets(secrets: Iterable[SecretLike] | SecretLike) -> list[Secret[str] | Secret[bytes]]:
    """Wrap every configured secret in :class:`Secret`; at least one, none empty.

    A lone ``str``/``bytes``/``Secret`` is taken as a list of one.
    """
    if isinstance(secrets, (str, bytes, Secret)):
        secrets = [secrets]
    out: list[Secret[str] | Secret[bytes]] = []
    for item in secrets:
        if isinstance(item, Secret):
            wrapped: Secret[str] | Secret[bytes] = item
        elif isinstance(item, str):
            wrapped = Secret[str](item)
        elif isinstance(item, bytes):
            wrapped = Secret[bytes](item)
        else:
            msg = f"a secret is str, bytes or Secret, not {type(item).__name__}"
            raise TypeError(msg)
        if not wrapped:
            msg = "a webhook secret may not be empty"
            raise ValueError(msg)
        out.append(wrapped)
    if not out:
        msg = "configure at least one secret"
        raise ValueError(msg)
    return out


def raw_key(secret: Secret[str] | Secret[bytes]) -> Secret[bytes]:
    """A provider secret used as-is for HMAC: text is UTF-8 encoded."""
    value = secret.reveal()
    return Secret(value.encode() if isinstance(value, str) else value)


def secrets_repr(secrets: Iterable[Secret[str] | Secret[bytes]]) -> str:
    """Fingerprints (never values) of the configured secrets, for ``repr``."""
    return "[" + ", ".join(repr(s.fingerprint()) for s in secrets) + "]"
