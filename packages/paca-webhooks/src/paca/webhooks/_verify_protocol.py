"""The contract between the receiver and the signature verifiers.

A verifier checks one delivery from its RAW body bytes and headers and either returns a
:class:`VerifiedDelivery` or raises :class:`VerificationError` carrying the HTTP status the
receiver must answer (400 for malformed input, 401 for a bad or missing signature or a
timestamp outside the tolerance). A verifier never raises anything else, whatever the input.
It takes the current time (seconds since the epoch) as an argument: it reads no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["VerificationError", "VerifiedDelivery", "Verifier"]


@dataclass(frozen=True, slots=True)
class VerifiedDelivery:
    """What a verifier learned from a delivery it accepted.

    Attributes:
        event_id: The sender's event/message id, used for deduplication (``None`` when the scheme
            carries none; the receiver then derives one from the body).
        timestamp: The signed timestamp (epoch seconds), if the scheme has one.
        scheme: The scheme name (``"standard-webhooks"``, ``"stripe"``, ``"github"``...).
    """

    event_id: str | None
    timestamp: float | None
    scheme: str


class VerificationError(Exception):
    """A delivery was rejected: ``status`` is 400 (malformed) or 401 (not authentic).

    ``reason`` is a short machine-readable label (``"missing_signature"``, ``"bad_signature"``,
    ``"timestamp_too_old"``, ``"timestamp_in_future"``, ``"malformed_header"``...). Neither
    carries a secret or a signature.
    """

    def __init__(self, status: int, reason: str, message: str | None = None) -> None:
        super().__init__(message or reason)
        self.status = status
        self.reason = reason


class Verifier(Protocol):
    """A signature scheme."""

    scheme: str

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> VerifiedDelivery:
        """Accept the delivery or raise :class:`VerificationError`."""
        ...
