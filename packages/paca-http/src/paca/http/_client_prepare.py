"""The first step of a ``UniversalAPIClient`` call: its arguments become a ``CallState``.

Resolves the target (a registered endpoint, a path joined to the base URL, or an absolute
URL), builds the request (headers, query, body serialised once), picks the timeout, and the
auth provider, rate limiter and retry policy of the call (an endpoint's own override the
client's; a streamed body or a non-idempotent call without an idempotency key is never
retried). Pure: no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp

from paca.http._endpoint import APIEndpoint, EndpointError
from paca.http._exchange import OutgoingRequest
from paca.http._methods import IDEMPOTENT_METHODS
from paca.http._prepare import UNSET, build_body, build_headers, build_params, host_of
from paca.http._send import CallState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from paca.http._client import UniversalAPIClient
    from paca.http._prepare import ParamsLike
    from paca.resilience import RateLimiter, RetryPolicy

__all__ = ["prepare_call"]


def prepare_call(
    client: UniversalAPIClient,
    method: str,
    target: str,
    path_params: Mapping[str, Any] | None,
    params: ParamsLike | None,
    json: Any,
    data: Any,
    headers: Mapping[str, Any] | None,
    idempotency_key: str | None,
    timeout: float | None,
) -> tuple[CallState, APIEndpoint | None, RetryPolicy | None, RateLimiter | None]:
    """The call's state, its endpoint (if registered), retry policy and rate limiter.

    Raises:
        EndpointError: An unknown endpoint name, a method other than the endpoint's, or bad
            path parameters.
        TypeError: An unsupported body.
    """
    endpoint = client.registry.get(target)
    secrets: list[str] = list(client._secrets)
    if endpoint is not None:
        if endpoint.method.value != method:
            msg = f"endpoint {endpoint.name!r} is {endpoint.method.value}, not {method}"
            raise EndpointError(msg)
        path = endpoint.render_path(path_params)
        layers = [client._headers, endpoint.headers, headers]
    elif target.startswith(("/", "http://", "https://")):
        if path_params:
            msg = "path_params need a registered endpoint; format the path yourself"
            raise EndpointError(msg)
        path, layers = target, [client._headers, headers]
    else:
        msg = f"{target!r} is neither a registered endpoint nor a path starting with '/'"
        raise EndpointError(msg)
    url = client._base + path if path.startswith("/") else path
    host = client._base_host if path.startswith("/") else host_of(url)
    request_headers = (
        build_headers(layers, secrets) if headers or endpoint else (client._headers.copy())
    )
    if idempotency_key is not None:
        request_headers["Idempotency-Key"] = idempotency_key
    if json is UNSET and data is None:
        body, stream = None, None  # what build_body answers, without the call
    else:
        body, stream = build_body(json, data, request_headers)
    request = OutgoingRequest(
        method,
        url,
        build_params(params, secrets) if params else [],
        request_headers,
        body,
        endpoint.name if endpoint is not None else None,
        idempotency_key,
    )
    seconds = timeout or (endpoint.timeout if endpoint is not None else None) or client._timeout
    client_timeout = client._timeouts.get(seconds)
    if client_timeout is None:
        client_timeout = client._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
    auth = client.auth
    limiter = client.rate_limit
    retry = client.retry
    if endpoint is not None:
        auth = None if endpoint.skip_auth else (endpoint.auth or auth)
        limiter = endpoint.rate_limit or limiter
        retry = endpoint.retry or retry
    if stream is not None or not (method in IDEMPOTENT_METHODS or idempotency_key):
        retry = None
    call = CallState(
        request,
        host,
        client_timeout,
        auth=auth,
        secrets=tuple(secrets) if len(secrets) != len(client._secrets) else client._secrets,
        limiter=limiter,
        limiter_key=client._rate_limit_key or host,
        stream_body=stream,
        allow_redirects=client._follow_redirects,
    )
    return call, endpoint, retry, limiter
