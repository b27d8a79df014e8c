"""What every plain call of one ``(method, target)`` shares, derived once: a :class:`Route`.

A *plain* call is one without per-call options (no path parameters, query, body, extra
headers, idempotency key or timeout): ``client.get("/items")``, ``client.call("ping")``. All
of its request is then fixed by the target and the client's configuration, so the client
prepares it once (:func:`build_route`, through the same :func:`prepare_call` as any call)
and keeps it in ``client._routes``. A later plain call of the same target only makes its
per-call state.

A route is dropped when what it was derived from changes: the client clears its routes when
``auth``, ``retry``, ``rate_limit`` or ``registry`` is assigned, and a route built before the
registry's last change (``APIRegistry._version``) is rebuilt. Everything else a route holds
is fixed at the client's construction (base URL, default headers, timeout, breaker, rate
limit key, redirects) or immutable (``APIEndpoint`` is frozen).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yarl import URL

from paca.http._client_cache import CACHEABLE
from paca.http._client_prepare import prepare_call
from paca.http._exchange import OutgoingRequest
from paca.http._prepare import UNSET

if TYPE_CHECKING:
    import aiohttp

    from paca.http._auth_protocol import AuthProvider
    from paca.http._client import UniversalAPIClient
    from paca.http._endpoint import APIEndpoint
    from paca.http._stats import StatsRecorder
    from paca.resilience import Pipeline, RateLimiter

__all__ = ["MAX_ROUTES", "Route", "build_route"]

#: Routes kept per client; past it they are all dropped and rebuilt on demand (a client
#: called with ever new paths, ``/items/1``, ``/items/2``..., must not grow without bound).
MAX_ROUTES = 512
#: ``ClientSession.request``'s defaults (checked by the tests): a route leaves them out.
_AIOHTTP_ALLOW_REDIRECTS = True
_AIOHTTP_MAX_REDIRECTS = 10


class Route:
    """The shared, read-only part of every plain call of one ``(method, target)``.

    Attributes:
        request: The request (never changed once built; a call that gives it to the response
            cache gets its own copy, see :meth:`request_for`).
        yurl: ``request.url`` parsed by ``yarl`` (``None`` if it does not parse: aiohttp
            then reports it as for any call).
        final_url: ``str(yurl)``: the response's URL when no redirect happened.
        send_options: The keyword arguments of ``session.request`` for the shared request,
            leaving out those equal to aiohttp's defaults (no query, no body, no headers,
            the session's own timeout, redirects followed, at most 10).
        endpoint: The registered endpoint, or ``None`` for a path or URL.
        host: ``host:port`` of the URL.
        timeout: The per-attempt timeout.
        auth: The auth provider of the call (``None``: none).
        secrets: Secret values to redact from messages.
        limiter: The rate limiter, or ``None``.
        limiter_key: Its key.
        allow_redirects: Whether redirects are followed.
        pipeline: The resilience pipeline of the call.
        cacheable: Whether the response cache serves the method.
        stats_key: The statistics entry of the call.
        recorder: That entry's recorder, once the first call has finished.
        version: The registry's ``_version`` the route was built at.
    """

    __slots__ = (
        "allow_redirects",
        "auth",
        "cacheable",
        "endpoint",
        "final_url",
        "host",
        "limiter",
        "limiter_key",
        "pipeline",
        "recorder",
        "request",
        "secrets",
        "send_options",
        "stats_key",
        "timeout",
        "version",
        "yurl",
    )

    def __init__(
        self,
        request: OutgoingRequest,
        endpoint: APIEndpoint | None,
        host: str,
        timeout: aiohttp.ClientTimeout,
        auth: AuthProvider | None,
        secrets: tuple[str, ...],
        limiter: RateLimiter | None,
        limiter_key: str,
        allow_redirects: bool,
        pipeline: Pipeline,
        version: int,
        *,
        max_redirects: int,
        session_timeout: aiohttp.ClientTimeout,
    ) -> None:
        self.request = request
        self.endpoint = endpoint
        self.host = host
        self.timeout = timeout
        self.auth = auth
        self.secrets = secrets
        self.limiter = limiter
        self.limiter_key = limiter_key
        self.allow_redirects = allow_redirects
        self.pipeline = pipeline
        self.version = version
        self.cacheable = request.method in CACHEABLE
        self.stats_key = request.endpoint or f"{request.method} {host}"
        self.recorder: StatsRecorder | None = None
        try:
            self.yurl: URL | None = URL(request.url)
            self.final_url: str | None = str(self.yurl)
        except (ValueError, TypeError):  # aiohttp reports a bad URL as for any call
            self.yurl = self.final_url = None
        options: dict[str, Any] = {}
        if allow_redirects is not _AIOHTTP_ALLOW_REDIRECTS:
            options["allow_redirects"] = allow_redirects
        if max_redirects != _AIOHTTP_MAX_REDIRECTS:
            options["max_redirects"] = max_redirects
        if request.headers:
            options["headers"] = request.headers
        if timeout != session_timeout:
            options["timeout"] = timeout
        self.send_options = options

    def request_for(self, cache: Any) -> OutgoingRequest:
        """The request of one call: the shared one, or a copy for a response cache.

        A cache is handed the request and may be any object with ``fetch``; it gets a copy
        of its own so that nothing it does reaches other calls.
        """
        if cache is None:
            return self.request
        request = self.request
        return OutgoingRequest(
            request.method,
            request.url,
            [],
            request.headers.copy(),
            None,
            request.endpoint,
            None,
        )


def build_route(client: UniversalAPIClient, method: Any, target: str) -> Route:
    """Prepare the plain call ``method target`` as any call is prepared, and keep it.

    Raises:
        EndpointError: As :func:`prepare_call` (nothing is kept then).
    """
    call, endpoint, retry, limiter = prepare_call(
        client, str(method).upper(), target, None, None, UNSET, None, None, None, None
    )
    route = Route(
        call.request,
        endpoint,
        call.host,
        call.timeout,
        call.auth,
        call.secrets,
        call.limiter,
        call.limiter_key,
        call.allow_redirects,
        client._pipeline(call.host, retry, limiter),
        client._registry._version,
        max_redirects=client._max_redirects,
        session_timeout=client._session_timeout,
    )
    routes = client._routes
    if len(routes) >= MAX_ROUTES:
        routes.clear()
    routes[method, target] = route
    return route
