"""How a ``UniversalAPIClient`` call goes through the response cache.

Only ``GET`` and ``HEAD`` calls without a streamed body use the cache; the cache's origin is
the call's resilience pipeline. A call that will carry credentials is marked authenticated
for the cache (see :func:`cache_policy_for`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING, Any

from paca.http._cache_policy import CachePolicy
from paca.http._exchange import OutgoingRequest, RawResponse

if TYPE_CHECKING:
    from paca.http._endpoint import APIEndpoint
    from paca.http._send import CallState, Transport
    from paca.resilience import Pipeline
    from paca.result import Result

__all__ = ["CACHEABLE", "OriginFailedError", "cache_policy_for", "fetch_through_cache"]

CACHEABLE = frozenset({"GET", "HEAD"})


class OriginFailedError(Exception):
    """Carries a failed ``Result`` out of the cache's ``origin`` callback."""

    def __init__(self, result: Result[Any]) -> None:
        super().__init__(result.error)
        self.result = result


async def fetch_through_cache(
    cache: Any,
    transport: Transport,
    call: CallState,
    pipeline: Pipeline,
    endpoint: APIEndpoint | None,
) -> tuple[Any, str]:
    """The call's response from ``cache``, or from the origin through ``pipeline``.

    Returns:
        The response (or the pipeline's value) and the cache status.

    Raises:
        OriginFailedError: The origin call failed; it carries the failed ``Result``.
    """

    async def origin(request: OutgoingRequest) -> RawResponse:
        call.request = request
        value = await pipeline.call(transport.attempt, call)
        if isinstance(value, RawResponse):
            return value
        if call.raw is not None:
            return call.raw
        raise OriginFailedError(value)

    policy = cache_policy_for(call, endpoint.cache_policy if endpoint is not None else None)
    raw, status = await cache.fetch(call.request, origin, policy)
    return raw, status


def cache_policy_for(call: CallState, policy: Any) -> Any:
    """Mark a call that will carry credentials, so the cache treats it as authenticated.

    Auth is applied per attempt, after the cache lookup, so the cache cannot see it on the
    request. An authenticated response is then never stored unless the policy says
    ``store_authenticated``, and when it does, entries are partitioned by a hash of the
    credentials (the auth provider's fingerprinted repr and the call's secret values), so
    two credentials never share an entry.
    """
    authenticated = (
        call.auth is not None or bool(call.secrets) or "Authorization" in call.request.headers
    )
    if not authenticated:
        return policy
    base = policy if isinstance(policy, CachePolicy) else CachePolicy()
    partition = base.partition
    if base.store_authenticated and partition is None:
        material = "\0".join(
            (repr(call.auth), *call.secrets, call.request.headers.get("Authorization", ""))
        )
        partition = hashlib.sha256(material.encode()).hexdigest()
    return dataclasses.replace(base, authenticated=True, partition=partition)
