"""Calls without per-call options (``await client.get("/items")``): the client's hot path.

The request of such a call is prepared once per (method, target) and kept as a
:class:`~paca.http._route.Route`; the outcome is the same as through
:meth:`UniversalAPIClient.request` (``tests/test_routes.py`` compares both).
"""

from __future__ import annotations

import logging
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from paca.http._client_cache import OriginFailedError, fetch_through_cache
from paca.http._decode import BodyDecodeError, decode_body, decode_json
from paca.http._exchange import RawResponse
from paca.http._lifecycle import NOT_INITIALIZED, ClientNotInitializedError
from paca.http._outcome import (
    CONTENT_TYPE,
    JSON,
    emit_finished,
    failure_of,
    finish_call,
    log_finished,
    recorder_of,
)
from paca.http._route import build_route
from paca.http._send import CallState
from paca.http._stats import now
from paca.result import Result

if TYPE_CHECKING:
    from paca.http._client import UniversalAPIClient
    from paca.http._methods import HTTPMethod
    from paca.http._route import Route
    from paca.http._send import Transport

__all__ = ["plain_call"]

_log = logging.getLogger("paca.http")


async def plain_call(  # noqa: PLR0912 - the hot path, inlined
    client: UniversalAPIClient, method: str | HTTPMethod, target: str
) -> Result[Any]:
    """``client.request(method, target)`` with no per-call options, prepared once per target.

    Same outcome as the general path (see :mod:`paca.http._route`); only the work that
    does not change from one call to the next is skipped. A 2xx answered at once is
    finished here (what :func:`finish_call` does for it, without the call); anything
    else goes through :func:`finish_call`.
    """
    transport = client._transport
    if transport is None:
        raise ClientNotInitializedError(NOT_INITIALIZED)
    start = now()
    route = client._routes.get((method, target))
    if route is None or route.version != client._registry._version:
        route = build_route(client, method, target)
    if client.cache is not None:
        return await _plain_cached(client, route, transport, start)
    call = CallState(
        route.request,
        route.host,
        route.timeout,
        route.auth,
        route.secrets,
        route.limiter,
        route.limiter_key,
        None,
        route.allow_redirects,
        route,
    )
    try:
        value = await route.pipeline.call(transport.attempt, call)
    except Exception as exc:  # outside failures (transport, breaker, limiter) become Results
        value = failure_of(exc, call.secrets)
    if value.__class__ is not RawResponse or call.auth_retries or not 200 <= value.status < 300:
        result = finish_call(client, call, route.endpoint, value, start, None, route)
    else:
        finished = now()
        elapsed = finished - start
        headers = value.headers
        body = value.body
        content_type = headers.get(CONTENT_TYPE)
        try:
            if body and content_type is not None and content_type.startswith(JSON):
                data = decode_json(body)  # what decode_body answers, one call fewer
            else:
                data = decode_body(body, content_type)
        except BodyDecodeError:
            return finish_call(client, call, route.endpoint, value, start, None, route)
        request = call.request
        attempts = call.attempts
        status = value.status
        meta = {
            "attempts": attempts,
            "elapsed": elapsed,
            "from_cache": False,
            "endpoint": request.endpoint,
            "method": request.method,
            "status": status,
            "headers": headers,
        }
        # a read-only view of this call's own dict: what Result.ok would build, minus a copy
        result = Result.ok(data, meta=MappingProxyType(meta))
        recorder = route.recorder or recorder_of(client, call, route)
        if attempts == 1:
            recorder.record_success(elapsed, finished)
        else:
            recorder.record(None, elapsed, attempts, None, finished)
        if client._listening:
            emit_finished(client, call, status, None, elapsed, None)
        if _log.isEnabledFor(logging.DEBUG):
            log_finished(call, status, None, elapsed, result)
    if client.cache is not None and not route.cacheable and result.is_success:
        await client.cache.invalidate(call.request.url)  # a cache set while this call ran
    return result


async def _plain_cached(
    client: UniversalAPIClient, route: Route, transport: Transport, start: float
) -> Result[Any]:
    """A plain call with a response cache (the cache gets a request of its own)."""
    cache = client.cache
    call = CallState(
        route.request_for(cache),
        route.host,
        route.timeout,
        route.auth,
        route.secrets,
        route.limiter,
        route.limiter_key,
        None,
        route.allow_redirects,
        route,
    )
    cache_status: str | None = None
    try:
        if route.cacheable:
            value, cache_status = await fetch_through_cache(
                cache, transport, call, route.pipeline, route.endpoint
            )
        else:
            value = await route.pipeline.call(transport.attempt, call)
    except OriginFailedError as exc:
        value = exc.result
    except Exception as exc:  # outside failures (transport, breaker, limiter) become Results
        value = failure_of(exc, call.secrets)
    result = finish_call(client, call, route.endpoint, value, start, cache_status, route)
    if client.cache is not None and not route.cacheable and result.is_success:
        await client.cache.invalidate(call.request.url)
    return result
