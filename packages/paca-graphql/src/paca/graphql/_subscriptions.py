"""Resilient GraphQL subscriptions over WebSocket: the asyncio layer on aiohttp.

:func:`subscribe_stream` drives a sans-I/O protocol core (``_ws_protocol``) over aiohttp's
WebSocket client. It yields one :class:`~paca.result.Result` per ``next`` and never raises to
the caller, except :class:`asyncio.CancelledError`:

- the server's ``complete`` ends the iterator;
- a lost connection, a silent server (keep-alive), a handshake timeout, an overloaded or
  restarting server: reconnect after a full-jitter backoff, with FRESH headers and
  ``connection_init`` payload from the providers, and subscribe again;
- authentication rejected (close ``4401``/``4403``, HTTP 401/403, legacy
  ``connection_error``), a protocol error, an operation ``error``, or the last failed
  attempt: one final failed ``Result``, then the iterator ends.

Closing the iterator (``break`` under :func:`contextlib.aclosing`, or cancelling the task)
sends ``complete`` (``stop``) and closes the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import aiohttp

from graphql import DocumentNode, print_ast
from paca.graphql._response import error_codes, kind_for_codes
from paca.graphql._subscription_options import SubscriptionOptions, reconnect_delay
from paca.graphql._ws_events import (
    CLOSE_ACK_TIMEOUT,
    CLOSE_BAD_RESPONSE,
    CLOSE_NORMAL,
    AckTimedOut,
    CompleteReceived,
    ConnectionAcknowledged,
    ConnectionRejected,
    ErrorReceived,
    Event,
    KeepAliveTimedOut,
    NextReceived,
    ProtocolViolation,
    classify_close,
)
from paca.graphql._ws_legacy import GraphQLWSProtocol
from paca.graphql._ws_protocol import GraphQLTransportWSProtocol, WSClientProtocol
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Mapping

__all__ = ["SubscriptionOptions", "subscribe_stream"]

_PROTOCOLS: dict[str, type[WSClientProtocol]] = {
    "graphql-transport-ws": GraphQLTransportWSProtocol,
    "graphql-ws": GraphQLWSProtocol,
}


@dataclass(frozen=True)
class _End:
    """Why a connection ended; ``kind=None`` means the server completed the operation."""

    kind: ErrorKind | None
    message: str = ""
    retryable: bool = False
    close_code: int = CLOSE_NORMAL
    cause: BaseException | None = None
    meta: dict[str, Any] = field(default_factory=dict)


_COMPLETED = _End(None)


def _end_of_exception(exc: BaseException) -> _End:
    """Translate an aiohttp/OS exception from the handshake or a send: the one place."""
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        status, meta = exc.status, {"status": exc.status}
        if status in (401, 403):
            return _End(ErrorKind.AUTH, f"handshake rejected with HTTP {status}", meta=meta)
        if status == 429 or status >= 500:
            kind = ErrorKind.RATE_LIMITED if status == 429 else ErrorKind.UNAVAILABLE
            return _End(kind, f"handshake failed with HTTP {status}", True, cause=exc, meta=meta)
        return _End(ErrorKind.HTTP_STATUS, f"handshake failed with HTTP {status}", meta=meta)
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return _End(ErrorKind.TIMEOUT, "WebSocket handshake timed out", True, cause=exc)
    return _End(ErrorKind.CONNECTION, f"connection failed: {type(exc).__name__}", True, cause=exc)


def _next_result(payload: dict[str, Any]) -> Result[dict[str, Any]]:
    data, errors = payload.get("data"), payload.get("errors")
    if not errors:
        return Result.ok(cast("dict[str, Any]", data))
    codes = error_codes(errors)
    first = errors[0].get("message") if isinstance(errors[0], dict) else None
    message = first if isinstance(first, str) and first else "GraphQL error"
    meta = {"data": data, "errors": errors, "error_codes": codes}
    return Result.fail(f"subscription: {message}", kind_for_codes(codes), meta=meta)


class _Connection:
    """One WebSocket connection carrying one subscription."""

    def __init__(self, session: aiohttp.ClientSession, options: SubscriptionOptions) -> None:
        self._session = session
        self._opts = options
        self._clock = options.clock
        self._proto = _PROTOCOLS[options.protocol](
            ping_interval=options.ping_interval,
            pong_timeout=options.pong_timeout,
            ack_timeout=options.connect_timeout,
        )
        self._ws: aiohttp.ClientWebSocketResponse[bool] | None = None
        self._recv: asyncio.Task[Any] | None = None  # a WSMessage (its type varies by version)
        self._ready: deque[Result[dict[str, Any]] | _End] = deque()
        self._operation_id = ""
        self.acknowledged = False

    async def open(
        self, url: str, headers: Mapping[str, str] | None, init_payload: Any, op: tuple[str, Any]
    ) -> _End | None:
        """Connect, queue ``connection_init`` and the subscription; an ``_End`` on failure."""
        subprotocol = self._proto.subprotocol
        try:
            ws = await asyncio.wait_for(self._connect(url, headers), self._opts.connect_timeout)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            return _end_of_exception(exc)
        self._ws = ws
        if ws.protocol != subprotocol:
            message = f"the server did not accept the {subprotocol!r} subprotocol"
            return _End(ErrorKind.UNKNOWN, message, meta={"protocol": ws.protocol})
        self._operation_id = op[0]
        self._proto.connection_init(init_payload, self._clock.now())
        self._proto.subscribe(op[0], op[1])
        return None

    async def _connect(
        self, url: str, headers: Mapping[str, str] | None
    ) -> aiohttp.ClientWebSocketResponse[bool]:
        return await self._session.ws_connect(
            url,
            protocols=(self._proto.subprotocol,),
            headers=headers,
            timeout=aiohttp.ClientWSTimeout(ws_close=self._opts.close_timeout),
        )

    async def next(self) -> Result[dict[str, Any]] | _End:
        """Return the next result, or why the connection ended."""
        while not self._ready:
            self._handle(self._proto.tick(self._clock.now()))
            await self._flush()
            if self._ready:
                break
            await self._wait(self._proto.next_deadline())
        return self._ready.popleft()

    async def close(self, code: int, *, stop: bool) -> None:
        """Stop the operation if asked, cancel the reader, close the socket; never raises."""
        if self._ws is None:
            return
        if stop:
            self._proto.complete(self._operation_id)
            self._proto.terminate()
            with contextlib.suppress(Exception):
                await self._flush()
        recv, self._recv = self._recv, None
        if recv is not None:
            recv.cancel()
            await asyncio.wait({recv})  # unlike ``await recv``, lets our own cancellation through
            if not recv.cancelled():
                recv.exception()  # retrieved: a reader failure no longer matters
        with contextlib.suppress(Exception):
            await self._ws.close(code=code)

    async def _flush(self) -> None:
        assert self._ws is not None  # noqa: S101 - open() succeeded
        for message in self._proto.data_to_send():
            try:
                text = json.dumps(message)
            except (TypeError, ValueError) as exc:  # e.g. a provider's payload
                what = f"{message.get('type')} is not JSON-serialisable"
                self._ready.append(_End(ErrorKind.VALIDATION, what, cause=exc))
                return
            try:
                await self._ws.send_str(text)
            except (aiohttp.ClientError, OSError, RuntimeError) as exc:
                self._ready.append(_end_of_exception(exc))
                return

    async def _wait(self, deadline: float | None) -> None:
        assert self._ws is not None  # noqa: S101 - open() succeeded
        if self._recv is None:
            self._recv = asyncio.ensure_future(self._ws.receive())
        sleeper: asyncio.Future[None] | None = None
        waiters: set[asyncio.Future[Any]] = {self._recv}
        if deadline is not None:
            delay = deadline - self._clock.now()
            if delay <= 0:
                return
            sleeper = asyncio.ensure_future(self._clock.sleep(delay))
            waiters.add(sleeper)
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if sleeper is not None:
                sleeper.cancel()
        if not self._recv.done():
            return
        recv, self._recv = self._recv, None
        try:
            frame = recv.result()
        except Exception as exc:
            self._ready.append(_end_of_exception(exc))
            return
        self._on_frame(frame)

    def _on_frame(self, frame: aiohttp.WSMessage) -> None:
        kind = frame.type
        if kind in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            self._handle(self._proto.receive_text(frame.data, self._clock.now()))
        elif kind is aiohttp.WSMsgType.CLOSE:
            self._closed(frame.data, frame.extra or "")
        elif kind in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            self._closed(self._ws.close_code if self._ws is not None else None, "")
        elif kind is aiohttp.WSMsgType.ERROR:
            cause = frame.data if isinstance(frame.data, BaseException) else None
            self._ready.append(_End(ErrorKind.CONNECTION, "WebSocket error", True, cause=cause))

    def _closed(self, code: int | None, reason: str) -> None:
        outcome = classify_close(code, reason)
        meta = {"close_code": code} if code is not None else {}
        self._ready.append(_End(outcome.kind, outcome.message, outcome.retryable, meta=meta))

    def _handle(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, NextReceived):
                self._ready.append(_next_result(event.payload))
            elif isinstance(event, ConnectionAcknowledged):
                self.acknowledged = True
            elif isinstance(event, CompleteReceived):
                self._ready.append(_COMPLETED)
            elif isinstance(event, ErrorReceived):
                result = _next_result({"data": None, "errors": event.errors})
                meta = dict(result.meta)
                self._ready.append(_End(result.kind, result.error or "", meta=meta))
            elif isinstance(event, ConnectionRejected):
                message = "the server rejected connection_init (connection_error)"
                self._ready.append(_End(ErrorKind.AUTH, message, meta={"payload": event.payload}))
            elif isinstance(event, ProtocolViolation):
                message = f"protocol error: {event.reason}"
                self._ready.append(_End(ErrorKind.UNKNOWN, message, close_code=CLOSE_BAD_RESPONSE))
            elif isinstance(event, KeepAliveTimedOut):
                message = f"the server was silent for {event.silent_for:.3g} s (keep-alive)"
                self._ready.append(_End(ErrorKind.TIMEOUT, message, True))
            elif isinstance(event, AckTimedOut):
                message = f"no connection_ack within {event.waited:.3g} s"
                self._ready.append(_End(ErrorKind.TIMEOUT, message, True, CLOSE_ACK_TIMEOUT))


async def _call(provider: Callable[[], Any] | None) -> Any:
    if provider is None:
        return None
    value = provider()
    if inspect.isawaitable(value):
        value = await value
    return value


def _operation(
    document: str | DocumentNode, variables: Mapping[str, Any] | None, operation_name: str | None
) -> dict[str, Any]:
    query = document if isinstance(document, str) else print_ast(document)
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = dict(variables)
    if operation_name is not None:
        payload["operationName"] = operation_name
    return payload


async def subscribe_stream(
    ws_url: str,
    document: str | DocumentNode,
    variables: Mapping[str, Any] | None = None,
    *,
    operation_name: str | None = None,
    headers_provider: Callable[[], Any] | None = None,
    init_payload_provider: Callable[[], Any] | None = None,
    options: SubscriptionOptions | None = None,
) -> AsyncGenerator[Result[dict[str, Any]], None]:
    """Subscribe to a GraphQL operation over WebSocket, reconnecting as needed.

    Args:
        ws_url: The ``ws://`` or ``wss://`` endpoint.
        document: The subscription, as text or a parsed document.
        variables: The operation's variables.
        operation_name: Which operation of the document to run.
        headers_provider: Returns the handshake headers (sync or async); called before each
            connection.
        init_payload_provider: Returns the ``connection_init`` payload, e.g. a fresh token
            (sync or async); called before each connection.
        options: Protocol, keep-alive, timeouts and reconnect backoff.

    Yields:
        ``Result.ok(data)`` per ``next``; a failed ``Result`` (kind from the errors'
        ``extensions.code``, else ``QUERY``; ``meta`` holds ``data``, ``errors`` and
        ``error_codes``) for a payload with errors. A final failed ``Result`` when the stream
        gives up (``meta``: ``attempts``, and ``close_code`` or ``status`` when known); a
        provider that raises gives up at once with kind ``AUTH`` (its exception as ``cause``).

    Example:
        >>> async def main() -> None:
        ...     async with contextlib.aclosing(
        ...         subscribe_stream("ws://localhost/graphql", "subscription { tick }")
        ...     ) as ticks:
        ...         async for result in ticks:
        ...             print(result.unwrap_or(None))
    """
    opts = options if options is not None else SubscriptionOptions()
    try:
        operation = _operation(document, variables, operation_name)
        json.dumps(operation)
    except (TypeError, ValueError) as exc:
        message = "the operation or its variables are not JSON-serialisable"
        yield Result.fail(message, ErrorKind.VALIDATION, cause=exc)
        return
    ids = itertools.count(1)
    failures = 0
    async with aiohttp.ClientSession() as session:
        connection: _Connection | None = None
        try:
            while True:
                connection = _Connection(session, opts)
                try:
                    headers = await _call(headers_provider)
                    init_payload = await _call(init_payload_provider)
                except Exception as exc:
                    message = f"the credentials provider raised {type(exc).__name__}"
                    end: _End | None = _End(ErrorKind.AUTH, message, cause=exc)
                else:
                    op = (str(next(ids)), operation)
                    end = await connection.open(ws_url, headers, init_payload, op)
                while end is None:
                    item = await connection.next()
                    if isinstance(item, _End):
                        end = item
                    else:
                        yield item
                current, connection = connection, None
                await current.close(end.close_code, stop=False)
                if end.kind is None:
                    return
                failures = 0 if current.acknowledged else failures + 1
                limit = opts.max_attempts
                if not end.retryable or (limit is not None and failures >= limit):
                    meta = {**end.meta, "attempts": max(failures, 1)}
                    yield Result.fail(end.message, end.kind, cause=end.cause, meta=meta)
                    return
                delay = reconnect_delay(
                    failures, base=opts.backoff_base, cap=opts.backoff_max, rng=opts.rng
                )
                await opts.clock.sleep(delay)
        except Exception as exc:  # a defect, not an outside failure: report it, never raise
            message = f"subscription failed unexpectedly: {type(exc).__name__}"
            yield Result.fail(message, ErrorKind.UNKNOWN, cause=exc)
        finally:
            if connection is not None:
                await connection.close(CLOSE_NORMAL, stop=True)
