"""Static credentials (API key, bearer token, HTTP Basic) and pooled API keys.

Every scheme implements the :class:`~paca.http._auth_protocol.AuthProvider` methods; the
public facade :class:`~paca.http.AuthManager` delegates to one of them. Secrets are kept in
:class:`~paca.result.Secret` and revealed only when the header or parameter is written.
"""

from __future__ import annotations

import abc
import base64
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paca.http._auth_events import AuthEvent, KeyCooldown, KeyQuarantined, KeyRotated
from paca.http._auth_protocol import AuthTicket, AuthVerdict
from paca.resilience import Listeners, parse_rate_limit_headers
from paca.result import Secret

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    import aiohttp

    from paca.http._exchange import OutgoingRequest
    from paca.http._key_pool import KeyPool

__all__ = [
    "KeyPlacement",
    "PooledKeyAuth",
    "ResponseAssessment",
    "SchemeBase",
    "StaticAuth",
    "assess_response",
    "basic_credentials",
]

_log = logging.getLogger("paca.http.auth")


class SchemeBase(abc.ABC):
    """What every scheme shares: a name, listeners, and harmless defaults."""

    scheme = "none"

    def __init__(self) -> None:
        self.listeners: Listeners[AuthEvent] = Listeners()

    @abc.abstractmethod
    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        """Decorate ``request`` (subclasses override)."""

    def on_response(
        self, ticket: AuthTicket, status: int, headers: Mapping[str, str]
    ) -> AuthVerdict:
        """A static credential cannot change: hand every response over as it is."""
        return AuthVerdict.PROCEED

    def on_network_error(self, ticket: AuthTicket) -> None:  # noqa: B027 - a real no-op default
        """A network error says nothing about a credential: nothing changes."""

    def describe(self) -> str:
        """A ``repr``-safe summary (no secret)."""
        return f"scheme={self.scheme!r}"


@dataclass(frozen=True, slots=True)
class KeyPlacement:
    """Where a credential goes: a header (with a prefix) or a query parameter.

    Attributes:
        header: Header name, or ``None`` when the key goes in the query.
        query: Query parameter name, or ``None`` when the key goes in a header.
        prefix: Text before the key in the header (``"Bearer "``); not used for the query.
    """

    header: str | None = "X-API-Key"
    query: str | None = None
    prefix: str = ""

    @staticmethod
    def of(header: str | None, query: str | None, prefix: str = "") -> KeyPlacement:
        """Build a placement; exactly one of ``header`` and ``query`` must be given."""
        if (header is None) == (query is None):
            msg = "give exactly one of header= and query_param="
            raise ValueError(msg)
        if (header is not None and not header.strip()) or (query is not None and not query):
            msg = "the header or query parameter name must not be empty"
            raise ValueError(msg)
        return KeyPlacement(header, query, prefix)

    def put(self, request: OutgoingRequest, value: Secret[str]) -> None:
        """Write the credential into ``request``, replacing an earlier one (retries reuse it)."""
        if self.header is not None:
            request.headers[self.header] = self.prefix + value.reveal()
            return
        name = self.query
        request.params[:] = [(k, v) for k, v in request.params if k != name]
        request.params.append((str(name), value.reveal()))

    def describe(self) -> str:
        """``header='X-API-Key'`` or ``query='api_key'``."""
        return f"header={self.header!r}" if self.header is not None else f"query={self.query!r}"


def basic_credentials(username: str, password: Secret[str] | str) -> Secret[str]:
    """Return the ``Authorization`` value of HTTP Basic (RFC 7617, UTF-8) as a secret.

    Raises:
        ValueError: When ``username`` contains a colon.
    """
    if ":" in username:
        msg = "a Basic user name cannot contain ':' (RFC 7617)"
        raise ValueError(msg)
    secret = password.reveal() if isinstance(password, Secret) else password
    token = base64.b64encode(f"{username}:{secret}".encode()).decode("ascii")
    return Secret("Basic " + token)


class StaticAuth(SchemeBase):
    """One fixed credential: an API key (header or query), a bearer token or Basic."""

    def __init__(self, scheme: str, value: Secret[str], placement: KeyPlacement) -> None:
        """Hold ``value`` (the whole header value, prefix excluded) for ``placement``."""
        super().__init__()
        if not value:
            msg = f"the {scheme} credential must not be empty"
            raise ValueError(msg)
        self.scheme = scheme
        self._value = value
        self._placement = placement
        self._ticket = AuthTicket(scheme, value.fingerprint())

    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        """Write the credential into ``request``."""
        self._placement.put(request, self._value)
        return self._ticket

    def describe(self) -> str:
        """Scheme, placement and fingerprint."""
        return (
            f"scheme={self.scheme!r}, {self._placement.describe()}, "
            f"fingerprint={self._ticket.fingerprint!r}"
        )


class PooledKeyAuth(SchemeBase):
    """A :class:`~paca.http.KeyPool` behind one placement, learning from every response."""

    def __init__(
        self,
        pool: KeyPool,
        placement: KeyPlacement,
        *,
        scheme: str = "api_key",
        default_cooldown: float = 60.0,
        max_cooldown: float = 3600.0,
        quarantine_for: float | None = None,
        quota_headers: tuple[str, ...] = ("X-Quota-Remaining",),
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        """Create the scheme; see :meth:`AuthManager.key_pool` for the arguments."""
        super().__init__()
        self.scheme = scheme
        for label, value in (
            ("default_cooldown", default_cooldown),
            ("max_cooldown", max_cooldown),
        ):
            if not value >= 0:
                msg = f"{label} must be a non-negative number of seconds, got {value!r}"
                raise ValueError(msg)
        if quarantine_for is not None and not quarantine_for >= 0:
            msg = f"quarantine_for must be None or non-negative, got {quarantine_for!r}"
            raise ValueError(msg)
        self.pool = pool
        self._placement = placement
        self._default_cooldown = default_cooldown
        self._max_cooldown = max_cooldown
        self._quarantine_for = quarantine_for
        self._quota_headers = quota_headers
        self._wall_clock = wall_clock
        # keys whose call failed on the network, for the retries (bounded: a caller that gives
        # up leaves an entry behind, which only makes one later call reuse that key)
        self._retry_keys: deque[str] = deque(maxlen=max(8, 2 * len(pool)))

    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        """Take the next key from the pool and write it into ``request``.

        Raises:
            CredentialsUnavailable: Every key is resting (``retry_after`` says how long).
        """
        prefer = self._retry_keys.popleft() if self._retry_keys else None
        key, fingerprint = self.pool.acquire(prefer)
        self._placement.put(request, key)
        return AuthTicket(self.scheme, fingerprint)

    def on_network_error(self, ticket: AuthTicket) -> None:
        """Keep the key: the next call (the client's retry) gets it again if it is available."""
        if ticket.fingerprint is not None and ticket.fingerprint in self.pool:
            self._retry_keys.append(ticket.fingerprint)

    def on_response(
        self, ticket: AuthTicket, status: int, headers: Mapping[str, str]
    ) -> AuthVerdict:
        """Cool down (429, 402, quota spent) or quarantine (401) the key the call used.

        Returns:
            ``RETRY`` when a failed call's key was taken out (the client sends it again,
            with another key or to learn that none is left), else ``PROCEED``.
        """
        fingerprint = ticket.fingerprint
        if fingerprint is None or fingerprint not in self.pool:
            return AuthVerdict.PROCEED
        now_epoch = None if self._wall_clock is None else self._wall_clock()
        verdict = assess_response(
            status,
            headers,
            default_cooldown=self._default_cooldown,
            max_cooldown=self._max_cooldown,
            quota_headers=self._quota_headers,
            now_epoch=now_epoch,
        )
        name = self.pool.name
        if verdict.action == "quarantine":
            self.pool.quarantine(fingerprint, self._quarantine_for)
            _log.warning("key %s of pool %r quarantined after HTTP %d", fingerprint, name, status)
            if self.listeners:
                self.listeners.emit(
                    KeyQuarantined(name, fingerprint, self._quarantine_for, verdict.reason)
                )
        elif verdict.action == "cool_down":
            seconds = verdict.seconds or 0.0
            self.pool.cool_down(fingerprint, seconds)
            _log.info(
                "key %s of pool %r cooling down for %g s (%s, from %s)",
                fingerprint,
                name,
                seconds,
                verdict.reason,
                verdict.source,
            )
            if self.listeners:
                self.listeners.emit(
                    KeyCooldown(name, fingerprint, seconds, verdict.reason, verdict.source)
                )
        else:
            return AuthVerdict.PROCEED
        if self.listeners:
            self.listeners.emit(KeyRotated(name, fingerprint, self.pool.peek(), verdict.reason))
        return AuthVerdict.RETRY if verdict.retry else AuthVerdict.PROCEED

    def describe(self) -> str:
        """Pool name, strategy, size and placement."""
        pool = self.pool
        return (
            f"scheme={self.scheme!r}, pool={pool.name!r}, strategy={pool.strategy!r}, "
            f"keys={len(pool)}, {self._placement.describe()}"
        )


@dataclass(frozen=True, slots=True)
class ResponseAssessment:
    """What one response means for the key that was used.

    Attributes:
        action: ``"keep"``, ``"cool_down"`` or ``"quarantine"``.
        reason: ``"rate_limited"``, ``"payment_required"``, ``"quota"``, ``"unauthorized"``
            or ``""`` when the key is kept.
        seconds: The cooldown (``None`` for ``"keep"`` and ``"quarantine"``).
        source: Where the cooldown came from (see :class:`~paca.http.KeyCooldown`).
        retry: Whether the call should be sent again with another key.
    """

    action: str
    reason: str = ""
    seconds: float | None = None
    source: str = ""
    retry: bool = False


_KEEP = ResponseAssessment("keep")


def assess_response(
    status: int,
    headers: Mapping[str, str],
    *,
    default_cooldown: float,
    max_cooldown: float,
    quota_headers: Iterable[str] = (),
    now_epoch: float | None = None,
) -> ResponseAssessment:
    """Decide what a response means for the key it was sent with.

    401 quarantines the key; 429 and 402 cool it down; so do quota headers saying nothing is
    left (``X-RateLimit-Remaining: 0``, ``RateLimit-Remaining: 0``, ``RateLimit: ...r=0``,
    or one of ``quota_headers`` equal to ``0``). A failure that rests the key asks for a
    retry; a success whose quota headers say "nothing left" rests the key without one. Any
    other response, a plain 403 included, keeps the key.

    The cooldown is the ``Retry-After`` value (seconds or an HTTP-date, parsed by
    :func:`paca.resilience.parse_retry_after`), else the reset the rate-limit headers give,
    else ``default_cooldown``; never more than ``max_cooldown``.

    Args:
        status: The response status.
        headers: The response headers.
        default_cooldown: Seconds to rest when the headers give no time.
        max_cooldown: The longest cooldown.
        quota_headers: More header names whose value ``0`` means "quota spent".
        now_epoch: Wall-clock Unix seconds to resolve absolute times against when the
            response has no ``Date`` header.

    Returns:
        The assessment.
    """
    if status == 401:
        return ResponseAssessment("quarantine", "unauthorized", retry=True)
    info = parse_rate_limit_headers(headers, now_epoch=now_epoch)
    spent = info.remaining == 0 or _quota_spent(headers, quota_headers)
    if status == 429:
        reason = "rate_limited"
    elif status == 402:
        reason = "payment_required"
    elif spent:
        reason = "quota"
    else:
        return _KEEP
    if info.retry_after is not None:
        seconds, source = info.retry_after, "retry-after"
    elif info.reset_after is not None:
        seconds, source = info.reset_after, info.source or "ratelimit"
    else:
        seconds, source = default_cooldown, "default"
    seconds = min(max(0.0, seconds), max_cooldown)
    return ResponseAssessment("cool_down", reason, seconds, source, retry=status >= 400)


def _quota_spent(headers: Mapping[str, str], names: Iterable[str]) -> bool:
    wanted = {name.lower() for name in names}
    if not wanted:
        return False
    for name, value in headers.items():
        if name.lower() in wanted and value.strip() in {"0", "0.0"}:
            return True
    return False
