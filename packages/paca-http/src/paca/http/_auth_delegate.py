"""The per-attempt half of :class:`~paca.http.AuthManager`: what the client calls.

:class:`AuthDelegate` holds the wrapped scheme and forwards the
:class:`~paca.http._auth_protocol.AuthProvider` calls to it: :meth:`~AuthDelegate.apply`
before each attempt, then :meth:`~AuthDelegate.on_response` or
:meth:`~AuthDelegate.on_network_error`. ``AuthManager`` (in :mod:`paca.http._auth`) inherits
these and adds the scheme constructors.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from paca.http._auth_schemes import PooledKeyAuth

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import aiohttp

    from paca.http._auth_events import AuthEvent
    from paca.http._auth_protocol import AuthTicket, AuthVerdict
    from paca.http._auth_schemes import SchemeBase
    from paca.http._exchange import OutgoingRequest
    from paca.http._key_pool import KeyPool

__all__ = ["AuthDelegate"]

_log = logging.getLogger("paca.http.auth")


class AuthDelegate:
    """Base of :class:`~paca.http.AuthManager`: forwards each call to the wrapped scheme."""

    __slots__ = ("_scheme",)

    _scheme: SchemeBase

    @property
    def scheme(self) -> str:
        """``"api_key"``, ``"bearer"``, ``"basic"``, ``"oauth2"`` or ``"hmac"``."""
        return self._scheme.scheme

    @property
    def pool(self) -> KeyPool | None:
        """The key pool, for a pooled manager (to inspect, restore or rest keys)."""
        return self._scheme.pool if isinstance(self._scheme, PooledKeyAuth) else None

    def add_listener(self, listener: Callable[[AuthEvent], object]) -> Callable[[], None]:
        """Receive every event (:class:`~paca.http.KeyRotated`, ...); return a remover."""
        return self._scheme.listeners.add(listener)

    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        """Decorate ``request`` with the credential to use now.

        Args:
            request: The request about to be sent (changed in place).
            session: The client's session (used for token requests).

        Returns:
            The ticket to hand back with the response.

        Raises:
            CredentialsUnavailable: No credential can be used now.
        """
        return await self._scheme.apply(request, session)

    def on_response(
        self, ticket: AuthTicket, status: int, headers: Mapping[str, str]
    ) -> AuthVerdict:
        """Learn from the response to an attempt made with ``ticket``.

        Returns:
            ``RETRY`` when the credentials changed because of it (token invalidated, key
            rotated), else ``PROCEED``.
        """
        return self._scheme.on_response(ticket, status, headers)

    def on_network_error(self, ticket: AuthTicket) -> None:
        """An attempt with ``ticket`` failed before any response: the credential is kept."""
        _log.debug("network error with %s credential %s", ticket.scheme, ticket.fingerprint)
        self._scheme.on_network_error(ticket)

    def __repr__(self) -> str:
        return f"AuthManager({self._scheme.describe()})"
