"""One attempt of a request: auth, send, read, judge the status; the retry loop wraps it.

:class:`Transport.attempt` is the function the client's ``paca.resilience`` pipeline
(limiter → breaker → retry) calls once per attempt; there is no other retry loop. An attempt
returns the :class:`~paca.http._exchange.RawResponse` of a 2xx (or 304), a failed
:class:`~paca.result.Result` for any other status (kind by status, ``retry_after`` in meta, so
the retry policy can decide and honour ``Retry-After``), or raises :class:`HTTPTimeoutError` /
:class:`HTTPConnectionError` for a failure before a complete response: the one place where
aiohttp exceptions are translated. Messages are redacted (no query string, no userinfo, no
known secret).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from multidict import CIMultiDict, istr

from paca.http._auth_protocol import AuthVerdict, CredentialsUnavailable
from paca.http._exchange import OutgoingRequest, RawResponse, received
from paca.http._http_events import AuthRetried, RateLimitPaused
from paca.http._status import kind_for_status, reason_for
from paca.resilience import parse_retry_after
from paca.result import ErrorKind, Result, redact, redact_url

if TYPE_CHECKING:
    from yarl import URL

    from paca.http._auth_protocol import AuthProvider
    from paca.http._route import Route
    from paca.resilience import Listeners, RateLimiter

__all__ = [
    "CallState",
    "HTTPConnectionError",
    "HTTPProtocolError",
    "HTTPTimeoutError",
    "HTTPTransportError",
    "Transport",
    "display_url",
]

_log = logging.getLogger("paca.http")
_PASS_STATUSES = frozenset({304})
# Header names as ``istr``: a lookup then skips case-folding the name on every response.
_RETRY_AFTER = istr("Retry-After")
_X_RATELIMIT_REMAINING = istr("X-RateLimit-Remaining")
_RATELIMIT_REMAINING = istr("RateLimit-Remaining")
_RATELIMIT = istr("RateLimit")


class HTTPTransportError(Exception):
    """No complete response arrived (the message is redacted; the aiohttp error is the cause)."""


class HTTPTimeoutError(HTTPTransportError, TimeoutError):
    """The attempt ran out of time (kind ``TIMEOUT``)."""


class HTTPConnectionError(HTTPTransportError, ConnectionError):
    """The connection failed, was refused, or broke mid-response (kind ``CONNECTION``)."""


class HTTPProtocolError(HTTPTransportError):
    """The exchange broke HTTP rules (too many redirects, a malformed response...)."""


def display_url(url: str, secrets: tuple[str, ...] = ()) -> str:
    """The URL as it may appear in messages, logs and events: no query, no userinfo secret."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    shown = redact_url(base)
    return redact(shown, *secrets) if secrets else shown


class CallState:
    """The mutable state of one call across its attempts."""

    __slots__ = (
        "allow_redirects",
        "attempts",
        "auth",
        "auth_retries",
        "host",
        "limiter",
        "limiter_key",
        "raw",
        "request",
        "route",
        "secrets",
        "stream_body",
        "timeout",
    )

    def __init__(
        self,
        request: OutgoingRequest,
        host: str,
        timeout: aiohttp.ClientTimeout,
        auth: AuthProvider | None = None,
        secrets: tuple[str, ...] = (),
        limiter: RateLimiter | None = None,
        limiter_key: str = "",
        stream_body: Any = None,
        allow_redirects: bool = True,
        route: Route | None = None,
    ) -> None:
        self.request = request
        self.host = host
        self.timeout = timeout
        self.auth = auth
        self.secrets = secrets
        self.limiter = limiter
        self.limiter_key = limiter_key
        self.stream_body = stream_body
        self.allow_redirects = allow_redirects
        #: The cached plan of a plain call (its URL parsed once), or ``None``.
        self.route = route
        self.attempts = 0
        self.auth_retries = 0
        self.raw: RawResponse | None = None

    def label(self) -> str:
        """``METHOD url`` for messages (redacted)."""
        return f"{self.request.method} {display_url(self.request.url, self.secrets)}"


def status_failure(
    call: CallState, raw: RawResponse, kind: ErrorKind, meta: dict[str, Any]
) -> Result[Any]:
    """The failure for an HTTP error status, with the response's ``Retry-After`` in ``meta``."""
    retry_after = raw.headers.get("Retry-After")
    if retry_after is not None:
        seconds = parse_retry_after(retry_after)
        if seconds is not None:
            meta["retry_after"] = seconds
    reason = raw.reason or reason_for(raw.status)
    return Result.fail(f"HTTP {raw.status} {reason} for {call.label()}", kind, meta=meta)


def _copy(request: OutgoingRequest) -> OutgoingRequest:
    return OutgoingRequest(
        request.method,
        request.url,
        list(request.params),
        CIMultiDict(request.headers),
        request.body,
        request.endpoint,
        request.idempotency_key,
    )


class Transport:
    """Sends attempts on one aiohttp session (owned by the client)."""

    __slots__ = ("events", "max_redirects", "pause_on_429", "session")

    def __init__(
        self,
        session: aiohttp.ClientSession,
        events: Listeners[Any],
        *,
        pause_on_429: float,
        max_redirects: int,
    ) -> None:
        self.session = session
        self.events = events
        self.pause_on_429 = pause_on_429
        self.max_redirects = max_redirects

    async def attempt(self, call: CallState) -> RawResponse | Result[Any]:
        """Run one attempt (with at most one auth re-send); see the module docstring."""
        call.attempts += 1
        call.raw = None
        auth = call.auth
        if auth is None:
            # What send() does, inline (one coroutine fewer per attempt); a plain call's
            # route gives the URL already parsed, its text when no redirect happened, and
            # the session's keyword arguments.
            request = call.request
            route = call.route
            try:
                target: URL | None = None
                shown: str | None = None
                if route is not None and request is route.request and route.yurl is not None:
                    target, shown = route.yurl, route.final_url
                    opened = self.session.request(request.method, target, **route.send_options)
                else:
                    opened = self.open(call, request)
                async with opened as response:
                    content = await response.read()
                    final = response.url
                    raw = received(
                        response.status,
                        response.headers,
                        content,
                        shown if final is target and shown is not None else str(final),
                        response.reason or "",
                    )
            except (TimeoutError, asyncio.TimeoutError) as exc:
                raise _translate(call, exc) from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise _translate(call, exc) from exc
            if 200 <= raw.status < 300 and (call.limiter is None or not _limit_signal(raw)):
                return raw  # what judge() answers, without its coroutine
            return await self.judge(call, raw)
        for round_ in (0, 1):
            request = _copy(call.request)
            try:
                ticket = await auth.apply(request, self.session)
            except CredentialsUnavailable as exc:
                return _unavailable(call, exc)
            try:
                raw = await self.send(call, request)
            except HTTPTransportError:
                auth.on_network_error(ticket)
                raise
            verdict = auth.on_response(ticket, raw.status, raw.headers)
            if verdict is AuthVerdict.RETRY and round_ == 0:
                call.auth_retries += 1
                if self.events:
                    url = display_url(request.url, call.secrets)
                    self.events.emit(AuthRetried(request.method, url, raw.status, ticket.scheme))
                continue
            return await self.judge(call, raw)
        raise AssertionError  # pragma: no cover - the loop always returns

    def open(self, call: CallState, request: OutgoingRequest) -> Any:
        """Start ``request`` on the session: await the result, or ``async with`` it."""
        body = request.body if call.stream_body is None else call.stream_body
        return self.session.request(
            request.method,
            request.url,
            params=request.params or None,
            headers=request.headers,
            data=body,
            timeout=call.timeout,
            allow_redirects=call.allow_redirects,
            max_redirects=self.max_redirects,
        )

    async def send(self, call: CallState, request: OutgoingRequest) -> RawResponse:
        """Send ``request`` and read the whole body; translate transport errors."""
        body = request.body if call.stream_body is None else call.stream_body
        try:
            async with self.session.request(  # what open() starts, without the extra call
                request.method,
                request.url,
                params=request.params or None,
                headers=request.headers,
                data=body,
                timeout=call.timeout,
                allow_redirects=call.allow_redirects,
                max_redirects=self.max_redirects,
            ) as response:
                content = await response.read()
                return RawResponse(
                    response.status,
                    response.headers,
                    content,
                    str(response.url),
                    response.reason or "",
                )
        # aiohttp's timeouts subclass asyncio.TimeoutError, which is only TimeoutError from 3.11
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise _translate(call, exc) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise _translate(call, exc) from exc

    async def judge(self, call: CallState, raw: RawResponse) -> RawResponse | Result[Any]:
        """Pass a 2xx/304 through; turn another status into a failed ``Result``."""
        status = raw.status
        limiter = call.limiter
        if limiter is not None and (status == 429 or _limit_signal(raw)):
            await self._adopt_limits(call, limiter, raw)
        if 200 <= status < 300 or status in _PASS_STATUSES:
            return raw
        call.raw = raw
        kind = kind_for_status(status) or ErrorKind.HTTP_STATUS
        return status_failure(call, raw, kind, {"status": status})

    async def _adopt_limits(self, call: CallState, limiter: RateLimiter, raw: RawResponse) -> None:
        key = call.limiter_key
        info = await limiter.update_from_headers(raw.headers, key)
        paused = info.block_for
        if raw.status == 429 and not paused:
            await limiter.block(key, self.pause_on_429)
        if (raw.status == 429 or paused) and self.events:
            self.events.emit(RateLimitPaused(call.host, key, paused, raw.status))
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("rate limit %r paused for %s s by HTTP %s", key, paused, raw.status)


def _limit_signal(raw: RawResponse) -> bool:
    """Whether the response's headers say something the rate limiter must adopt."""
    headers = raw.headers
    return (
        _RETRY_AFTER in headers
        or headers.get(_X_RATELIMIT_REMAINING) == "0"
        or headers.get(_RATELIMIT_REMAINING) == "0"
        or _RATELIMIT in headers
    )


def _unavailable(call: CallState, exc: CredentialsUnavailable) -> Result[Any]:
    meta: dict[str, Any] = {"auth_unavailable": True}
    if exc.retry_after is not None:
        meta["retry_after"] = exc.retry_after
        kind = ErrorKind.RATE_LIMITED
    else:
        kind = ErrorKind.AUTH
    message = redact(f"no credentials available for {call.label()}: {exc}", *call.secrets)
    return Result.fail(message, kind, meta=meta)


def _translate(call: CallState, exc: BaseException) -> HTTPTransportError:
    detail = redact_url(str(exc))
    if call.secrets:
        detail = redact(detail, *call.secrets)
    label = call.label()
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        total = call.timeout.total
        limit = f" after {total:g} s" if total else ""
        return HTTPTimeoutError(f"{label}: timed out{limit}")
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError)):
        name = type(exc).__name__
        return HTTPConnectionError(f"{label}: {name}: {detail}" if detail else f"{label}: {name}")
    name = type(exc).__name__
    return HTTPProtocolError(f"{label}: {name}: {detail}" if detail else f"{label}: {name}")
