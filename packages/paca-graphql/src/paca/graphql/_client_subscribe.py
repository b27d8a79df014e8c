"""How ``GraphQLClient.subscribe`` hands a subscription to :mod:`paca.graphql._subscriptions`.

The subscriptions module owns the WebSocket protocol and reconnection; this module gives it,
per (re)connection, fresh handshake headers (client headers, call headers, then the auth
provider's, e.g. a refreshed OAuth2 token or the next pooled key) and the ``connection_init``
payload built from those same headers. The import is lazy: without the module, a subscription
yields one failed ``Result`` of kind ``UNAVAILABLE``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from paca.graphql import _subscriptions
from paca.graphql._client_send import ws_headers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from paca.http import UniversalAPIClient
    from paca.result import Result, Secret

__all__ = ["stream_subscription"]


async def stream_subscription(
    http: UniversalAPIClient,
    ws_url: str,
    document: str,
    variables: Mapping[str, Any] | None,
    *,
    operation_name: str | None,
    defaults: Mapping[str, str | Secret[str]],
    headers: Mapping[str, str | Secret[str]] | None,
    init_payload: Callable[[Mapping[str, str]], Mapping[str, Any]] | None,
    options: Any,
) -> AsyncIterator[Result[Any]]:
    """Yield the subscription's results from ``subscribe_stream`` (see the module docstring)."""
    last: dict[str, str] = {}

    async def headers_provider() -> dict[str, str]:
        fresh = await ws_headers(http, ws_url, defaults, headers)
        last.clear()
        last.update(fresh)
        return fresh

    async def init_payload_provider() -> Mapping[str, Any]:
        current = last or await ws_headers(http, ws_url, defaults, headers)
        if init_payload is not None:
            return init_payload(current)
        token = current.get("Authorization")
        return {"Authorization": token} if token else {}

    stream = _subscriptions.subscribe_stream(
        ws_url,
        document,
        dict(variables) if variables else None,
        operation_name=operation_name,
        headers_provider=headers_provider,
        init_payload_provider=init_payload_provider,
        options=options,
    )
    async with contextlib.aclosing(stream):  # a caller's break closes the socket at once
        async for item in stream:
            yield item
