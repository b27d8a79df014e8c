"""The contract between the client and its authentication layer.

Per attempt, the client calls ``await auth.apply(request, session)`` right before sending
(it may add headers or query parameters, sign the body, pick a key from a pool) and keeps the
returned :class:`AuthTicket`; after the response it calls
``auth.on_response(ticket, status, headers)`` and obeys the :class:`AuthVerdict`. On a network
error it calls ``auth.on_network_error(ticket)`` (the same key stays in use).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    import aiohttp

    from paca.http._exchange import OutgoingRequest

__all__ = ["AuthProvider", "AuthTicket", "AuthVerdict", "CredentialsUnavailable"]


class AuthVerdict(enum.Enum):
    """What the client does after a response, as the auth layer decides."""

    PROCEED = "proceed"  # hand the response to the caller (success or failure as it is)
    RETRY = "retry"  # credentials changed (token refreshed, key rotated): send again once more


@dataclass(frozen=True, slots=True)
class AuthTicket:
    """Which credential an attempt used (never the secret itself).

    Attributes:
        scheme: e.g. ``"api_key"``, ``"bearer"``, ``"oauth2"``, ``"basic"``, ``"hmac"``.
        fingerprint: A short non-reversible label of the credential, for logs and events.
        token_version: For refreshed tokens: which token generation was used.
    """

    scheme: str
    fingerprint: str | None = None
    token_version: int = 0


class CredentialsUnavailable(Exception):  # noqa: N818 - a condition, reported as a Result
    """No credential can be used now.

    Every pooled key is cooling down or quarantined, or the token endpoint failed. The client
    returns a failed Result of kind ``RATE_LIMITED`` (when ``retry_after`` is set) or ``AUTH``;
    it never raises this to the caller.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthProvider(Protocol):
    """What the client needs from ``AuthManager``."""

    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        """Decorate ``request``; raise :class:`CredentialsUnavailable` if nothing can be used."""
        ...

    def on_response(
        self, ticket: AuthTicket, status: int, headers: Mapping[str, str]
    ) -> AuthVerdict:
        """Learn from a response (401, 402, 403, 429, quota headers...)."""
        ...

    def on_network_error(self, ticket: AuthTicket) -> None:
        """An attempt with ``ticket`` failed before any response."""
        ...
