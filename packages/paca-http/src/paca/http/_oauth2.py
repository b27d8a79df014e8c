"""OAuth2 client credentials (RFC 6749 section 4.4): fetch on demand, refresh before expiry.

The token is fetched by the first call that needs it and refreshed by the first call after
``expiry - skew``; calls that arrive while a fetch is in flight wait for that fetch (single
flight: a thousand concurrent calls at expiry make one token request). A 401 invalidates the
token only when the failed call used the current token generation (``AuthTicket.token_version``),
so a late 401 for an old token never throws a fresh one away.

A failed fetch raises :class:`~paca.http._auth_protocol.CredentialsUnavailable` whose message
names the endpoint and the failure (status, OAuth2 ``error`` code, exception type) and never
the client secret, the token or a response body.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import TYPE_CHECKING, Literal

import aiohttp

from paca.http._auth_events import TokenRefreshed
from paca.http._auth_protocol import AuthTicket, AuthVerdict, CredentialsUnavailable
from paca.http._auth_schemes import SchemeBase, basic_credentials
from paca.resilience import MonotonicClock, parse_retry_after
from paca.result import Secret, redact, redact_url

if TYPE_CHECKING:
    from collections.abc import Mapping

    from paca.http._exchange import OutgoingRequest
    from paca.resilience import Clock

__all__ = ["OAuth2ClientCredentials"]

_log = logging.getLogger("paca.http.auth")
_ERROR_CODE_MAX = 64  # an OAuth2 ``error`` is a short ASCII code; longer text is not quoted


class OAuth2ClientCredentials(SchemeBase):
    """Bearer tokens from a token endpoint with the client credentials grant."""

    scheme = "oauth2"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: Secret[str] | str,
        *,
        scope: str | None = None,
        audience: str | None = None,
        auth_method: Literal["basic", "body"] = "basic",
        skew: float = 30.0,
        default_expires_in: float | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        """Create the scheme; see :meth:`AuthManager.oauth2_client_credentials`."""
        super().__init__()
        secret = client_secret if isinstance(client_secret, Secret) else Secret(client_secret)
        if not token_url.startswith(("http://", "https://")):
            msg = "token_url must be an absolute http(s) URL"
            raise ValueError(msg)
        if not client_id or not secret:
            msg = "client_id and client_secret must not be empty"
            raise ValueError(msg)
        if auth_method not in {"basic", "body"}:
            msg = f"auth_method must be 'basic' or 'body', got {auth_method!r}"
            raise ValueError(msg)
        if auth_method == "basic" and ":" in client_id:
            msg = "a client_id with ':' cannot be sent with Basic; use auth_method='body'"
            raise ValueError(msg)
        for label, value in (("skew", skew), ("timeout", timeout)):
            if not (math.isfinite(value) and value >= 0):
                msg = f"{label} must be a non-negative number of seconds, got {value!r}"
                raise ValueError(msg)
        if default_expires_in is not None and not default_expires_in > 0:
            msg = f"default_expires_in must be None or positive, got {default_expires_in!r}"
            raise ValueError(msg)
        self._token_url = token_url
        self._shown_url = redact_url(token_url)
        self._client_id = client_id
        self._secret = secret
        self._scope = scope
        self._audience = audience
        self._auth_method = auth_method
        self._skew = skew
        self._default_expires_in = default_expires_in
        self._timeout = timeout
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._token: Secret[str] | None = None
        self._refresh_at = math.inf
        self._version = 0
        self._fetch: asyncio.Task[None] | None = None
        self._requests = 0

    @property
    def token_requests(self) -> int:
        """How many token requests were sent."""
        return self._requests

    @property
    def token_version(self) -> int:
        """The current token generation (0 before the first token)."""
        return self._version

    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        """Put ``Authorization: Bearer <token>`` on ``request``, fetching a token if needed.

        Raises:
            CredentialsUnavailable: The token endpoint failed.
        """
        waited = False
        token = self._token
        while token is None or (not waited and self._clock.now() >= self._refresh_at):
            fetch = self._fetch
            if fetch is None or fetch.done():
                fetch = self._fetch = asyncio.ensure_future(self._refresh(session))
                fetch.add_done_callback(self._fetch_done)
            # shield: a caller that is cancelled must not cancel the fetch others wait for
            await asyncio.shield(fetch)
            waited = True
            token = self._token
        request.headers["Authorization"] = "Bearer " + token.reveal()
        return AuthTicket(self.scheme, token.fingerprint(), self._version)

    def on_response(
        self, ticket: AuthTicket, status: int, headers: Mapping[str, str]
    ) -> AuthVerdict:
        """On 401, drop the token if the call used the current one, and ask for a retry."""
        if status != 401:
            return AuthVerdict.PROCEED
        if ticket.token_version == self._version and self._token is not None:
            _log.info("oauth2 token version %d rejected (401): invalidated", self._version)
            self._token = None
        return AuthVerdict.RETRY

    def _fetch_done(self, fetch: asyncio.Task[None]) -> None:
        if self._fetch is fetch:
            self._fetch = None
        if not fetch.cancelled():
            fetch.exception()  # retrieved here, so a fetch no one awaits any more logs nothing

    async def _refresh(self, session: aiohttp.ClientSession) -> None:
        started = self._clock.now()
        self._requests += 1
        token, expires_in = await self._request(session)
        lifetime = expires_in if expires_in is not None else self._default_expires_in
        if lifetime is None:
            self._refresh_at = math.inf
        else:
            # a token shorter-lived than twice the skew is refreshed half-way instead
            self._refresh_at = started + lifetime - min(self._skew, lifetime / 2)
        self._token = token
        self._version += 1
        _log.debug(
            "oauth2 token version %d fetched from %s (%s, expires in %s s)",
            self._version,
            self._shown_url,
            token.fingerprint(),
            expires_in,
        )
        if self.listeners:
            self.listeners.emit(
                TokenRefreshed(self._shown_url, token.fingerprint(), self._version, expires_in)
            )

    async def _request(self, session: aiohttp.ClientSession) -> tuple[Secret[str], float | None]:
        form = {"grant_type": "client_credentials"}
        if self._scope is not None:
            form["scope"] = self._scope
        if self._audience is not None:
            form["audience"] = self._audience
        headers = {"Accept": "application/json"}
        if self._auth_method == "basic":
            headers["Authorization"] = basic_credentials(self._client_id, self._secret).reveal()
        else:
            form["client_id"] = self._client_id
            form["client_secret"] = self._secret.reveal()
        try:
            async with session.post(
                self._token_url,
                data=form,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                body = await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise self._failure(f"{type(exc).__name__}") from None
        payload = _json_object(body)
        if not 200 <= status < 300:
            code = payload.get("error") if payload else None
            detail = f"HTTP {status}"
            if isinstance(code, str) and code.isascii() and len(code) <= _ERROR_CODE_MAX:
                detail += f" ({code})"
            raise self._failure(detail, retry_after=retry_after if status in {429, 503} else None)
        token = payload.get("access_token") if payload else None
        if not isinstance(token, str) or not token:
            raise self._failure(f"HTTP {status} without an access_token")
        token_type = payload.get("token_type", "bearer") if payload else "bearer"
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise self._failure("a token that is not a bearer token")
        return Secret(token), _expires_in(payload.get("expires_in") if payload else None)

    def _failure(self, detail: str, *, retry_after: float | None = None) -> CredentialsUnavailable:
        message = redact(
            f"oauth2 token request to {self._shown_url} failed: {detail}", self._secret
        )
        _log.warning("%s", message)
        return CredentialsUnavailable(message, retry_after=retry_after)

    def describe(self) -> str:
        """Scheme, token endpoint, client id and token generation."""
        return (
            f"scheme={self.scheme!r}, token_url={self._shown_url!r}, "
            f"client_id={self._client_id!r}, token_version={self._version}"
        )


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _expires_in(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            return None
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None
