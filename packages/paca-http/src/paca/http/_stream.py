"""Streaming downloads: ``client.stream(...)`` yields the body in chunks, never all in memory.

Opening the stream (connect, send, receive the status and headers) goes through the same
pipeline as every call (limiter → breaker → retry for idempotent methods); the body is then
read chunk by chunk by the caller. An error while reading chunks raises
:class:`~paca.http._send.HTTPTransportError` (the ``Result`` was already handed out).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import aiohttp

from paca.http._auth_protocol import AuthVerdict, CredentialsUnavailable
from paca.http._client_prepare import prepare_call
from paca.http._exchange import RawResponse
from paca.http._outcome import failure_of, finish_call
from paca.http._prepare import UNSET
from paca.http._send import CallState, Transport, _copy, _translate, _unavailable
from paca.http._stats import now
from paca.result import Result

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from multidict import CIMultiDictProxy

    from paca.http._prepare import ParamsLike

__all__ = ["StreamMixin", "StreamedResponse"]

_CHUNK = 64 * 1024


class StreamedResponse:
    """An open 2xx response whose body is read in chunks: ``async for chunk in response``.

    Attributes:
        status: The HTTP status.
        headers: The response headers.
        url: The final URL (after redirects).
    """

    __slots__ = ("_call", "_chunk_size", "_response", "headers", "status", "url")

    def __init__(self, response: aiohttp.ClientResponse, call: CallState, chunk_size: int):
        self._response = response
        self._call = call
        self._chunk_size = chunk_size
        self.status: int = response.status
        self.headers: CIMultiDictProxy[str] = response.headers
        self.url = str(response.url)

    async def iter_chunks(self, size: int | None = None) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most ``size`` bytes (decompressed).

        Raises:
            HTTPTransportError: The connection broke or timed out mid-body.
        """
        try:
            async for chunk in self._response.content.iter_chunked(size or self._chunk_size):
                yield chunk
        except (TimeoutError, asyncio.TimeoutError) as exc:  # distinct types on Python 3.10
            raise _translate(self._call, exc) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise _translate(self._call, exc) from exc

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.iter_chunks()

    def __repr__(self) -> str:
        return f"StreamedResponse(status={self.status})"


async def _open(transport: Transport, call: CallState) -> Any:
    """One attempt at opening a stream: a ``ClientResponse`` (2xx) or a failed ``Result``."""
    call.attempts += 1
    call.raw = None
    auth = call.auth
    for round_ in (0, 1):
        request = call.request if auth is None else _copy(call.request)
        ticket = None
        if auth is not None:
            try:
                ticket = await auth.apply(request, transport.session)
            except CredentialsUnavailable as exc:
                return _unavailable(call, exc)
        try:
            response = await transport.open(call, request)
            if auth is not None and ticket is not None:
                verdict = auth.on_response(ticket, response.status, response.headers)
                if verdict is AuthVerdict.RETRY and round_ == 0:
                    response.release()
                    call.auth_retries += 1
                    continue
            if 200 <= response.status < 300:
                return response
            try:
                content = await response.read()
            finally:
                response.release()
            raw = RawResponse(
                response.status, response.headers, content, str(response.url), response.reason or ""
            )
        except (TimeoutError, asyncio.TimeoutError, aiohttp.ClientError, OSError) as exc:
            if auth is not None and ticket is not None:
                auth.on_network_error(ticket)
            raise _translate(call, exc) from exc
        return await transport.judge(call, raw)
    raise AssertionError  # pragma: no cover


class StreamMixin:
    """Adds :meth:`stream` to ``UniversalAPIClient``."""

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        target: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: ParamsLike | None = None,
        data: Any = None,
        headers: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        chunk_size: int = _CHUNK,
    ) -> AsyncIterator[Result[StreamedResponse]]:
        """Open a streamed exchange: ``async with client.stream("GET", path) as result:``.

        The context yields ``Result[StreamedResponse]``: on success iterate
        ``result.data`` for the body chunks; a non-2xx status, a timeout or a connection
        failure before the headers is a failed ``Result`` as for :meth:`request`. ``data``
        may be an async iterable of bytes or a binary file, uploaded without loading it.
        ``timeout`` bounds connecting and each read, not the whole download.
        """
        client: Any = self
        transport: Transport | None = client._transport
        if transport is None:
            from paca.http._lifecycle import ClientNotInitializedError  # noqa: PLC0415

            msg = "call `await client.initialize()` (or use `async with`) before requests"
            raise ClientNotInitializedError(msg)
        start = now()
        call, endpoint, retry, limiter = prepare_call(
            client, method.upper(), target, path_params, params, UNSET, data, headers, None, timeout
        )
        seconds = call.timeout.total
        call.timeout = aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
        pipeline = client._pipeline(call.host, retry, limiter)
        try:
            value = await pipeline.call(_open, transport, call)
        except Exception as exc:
            value = failure_of(exc, call.secrets)
        if not isinstance(value, aiohttp.ClientResponse):
            yield finish_call(client, call, endpoint, value, start, None)
            return
        try:
            streamed = StreamedResponse(value, call, chunk_size)
            opened = finish_call(client, call, endpoint, RawResponse(
                value.status, value.headers, b"", streamed.url, value.reason or ""
            ), start, None)  # fmt: skip
            yield Result.ok(streamed, meta=opened.meta)
        finally:
            value.release()
