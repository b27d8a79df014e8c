"""``UniversalAPIClient``: calls by endpoint name or path, each returning a ``Result``.

Per call: build the request (body serialised once), pick the per-host pipeline
(``RateLimiter`` → ``CircuitBreaker`` → ``RetryPolicy``, from :mod:`paca.resilience`), run
attempts through it (:mod:`paca.http._send`), optionally through the response cache, then
decode the body (:mod:`paca.http._decode`) and record statistics and events.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import aiohttp

from paca.http._client_cache import CACHEABLE, OriginFailedError, fetch_through_cache
from paca.http._client_plain import plain_call
from paca.http._client_prepare import prepare_call
from paca.http._client_settings import RoutedSettings
from paca.http._lifecycle import NOT_INITIALIZED, AsyncLifecycle, ClientNotInitializedError
from paca.http._outcome import (
    counts_as_breaker_failure,
    default_timeout,
    failure_of,
    finish_call,
)
from paca.http._prepare import (
    UNSET,
    build_headers,
    host_of,
    split_userinfo,
)
from paca.http._registry import APIRegistry
from paca.http._send import Transport, display_url
from paca.http._stats import EndpointStats, StatsRecorder, now
from paca.http._stream import StreamMixin
from paca.resilience import (
    BreakerConfig,
    CircuitBreaker,
    Listeners,
    Pipeline,
    RateLimiter,
    RetryPolicy,
)
from paca.result import Result, Secret

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from paca.http._auth_protocol import AuthProvider
    from paca.http._endpoint import APIEndpoint
    from paca.http._methods import HTTPMethod
    from paca.http._prepare import ParamsLike
    from paca.http._route import Route

__all__ = ["ClientNotInitializedError", "UniversalAPIClient"]

_log = logging.getLogger("paca.http")
_DEFAULT: Any = object()


class UniversalAPIClient(RoutedSettings, StreamMixin, AsyncLifecycle):
    """An asyncio HTTP client whose every call returns a :class:`~paca.result.Result`.

    Args:
        base_url: Prefix of every path (``"https://api.example.com/v1"``). Userinfo
            (``user:password@``) is removed from it and sent as HTTP Basic auth.
        timeout: Seconds per attempt (default: env ``API_TIMEOUT``, else 30).
        auth: An auth provider (``AuthManager``) applied to every attempt.
        retry: A ``RetryPolicy`` for idempotent calls (default: 3 attempts, full jitter,
            ``Retry-After`` honoured up to 60 s); ``None`` disables retries.
        breaker: ``BreakerConfig`` for one ``CircuitBreaker`` per host (default
            ``BreakerConfig()``), a ``CircuitBreaker`` shared by every host, or ``None``.
        rate_limit: A ``RateLimiter``; each host is one key (or ``rate_limit_key``). A 429
            or exhausted rate-limit headers pause the key for every task using it.
        rate_limit_key: One key for every host instead of one key per host.
        cache: A response cache (``fetch(request, origin, policy)``, ``invalidate(url)``).
        headers: Headers sent with every request (``Secret`` values allowed).
        registry: An :class:`APIRegistry` to call endpoints from.
        limit: Most connections in total.
        limit_per_host: Most connections per host (0: no per-host limit).
        ttl_dns_cache: Seconds DNS answers are cached.
        keepalive_timeout: Seconds an idle connection is kept.
        ssl: TLS verification (``True``), an ``ssl.SSLContext``, or ``False`` to disable.
        follow_redirects: Follow redirects (at most ``max_redirects``).
        max_redirects: Most redirects followed.
        pause_on_429: Seconds a 429 without rate-limit headers pauses its key.
        keep_cookies: Keep cookies between calls (off: APIs are stateless by default).
        name: Names the client in breakers and reprs.

    Example:
        >>> client = UniversalAPIClient("https://api.example.com")
        >>> client.register_endpoint(APIEndpoint(name="get_post", url="/posts/{id}"))
        APIEndpoint(...)
        >>> # async with client: result = await client.get("get_post", path_params={"id": 1})
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        timeout: float | None = None,
        auth: AuthProvider | None = None,
        retry: RetryPolicy | None = _DEFAULT,
        breaker: BreakerConfig | CircuitBreaker | None = _DEFAULT,
        rate_limit: RateLimiter | None = None,
        rate_limit_key: str | None = None,
        cache: Any = None,
        headers: Mapping[str, str | Secret[str]] | None = None,
        registry: APIRegistry | None = None,
        limit: int = 100,
        limit_per_host: int = 0,
        ttl_dns_cache: int = 300,
        keepalive_timeout: float = 30.0,
        ssl: Any = True,
        follow_redirects: bool = True,
        max_redirects: int = 10,
        pause_on_429: float = 1.0,
        keep_cookies: bool = False,
        name: str = "http",
    ) -> None:
        # plain calls prepared once, by (method, target); see paca.http._route
        self._routes: dict[tuple[Any, str], Route] = {}
        url, user, password = split_userinfo(base_url.rstrip("/"))
        self._base = url
        self._base_host = host_of(url) if url else ""
        secrets: list[str] = []
        default_headers = dict(headers or {})
        if user is not None:
            plain_user, plain_password = unquote(user), unquote(password or "")
            token = base64.b64encode(f"{plain_user}:{plain_password}".encode()).decode()
            default_headers.setdefault("Authorization", Secret(f"Basic {token}"))
            secrets.extend(s for s in (password, plain_password) if s)
        self._headers = build_headers([default_headers], secrets)
        self._secrets = tuple(dict.fromkeys(secrets))
        self._timeout = float(timeout) if timeout is not None else default_timeout()
        self._session_timeout = aiohttp.ClientTimeout(total=self._timeout)
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self.auth = auth
        self.retry = RetryPolicy(attempts=3, max_retry_after=60.0) if retry is _DEFAULT else retry
        if breaker is _DEFAULT:
            breaker = BreakerConfig()
        if isinstance(breaker, BreakerConfig) and breaker.record_result is None:
            breaker = dataclasses.replace(breaker, record_result=counts_as_breaker_failure)
        self._breaker = breaker
        self.rate_limit = rate_limit
        self._rate_limit_key = rate_limit_key
        self.cache = cache
        self.registry = registry if registry is not None else APIRegistry()
        self._connector_options = {
            "limit": limit,
            "limit_per_host": limit_per_host,
            "ttl_dns_cache": ttl_dns_cache,
            "keepalive_timeout": keepalive_timeout,
            "ssl": ssl,
        }
        self._follow_redirects = follow_redirects
        self._max_redirects = max_redirects
        self._pause_on_429 = pause_on_429
        self._keep_cookies = keep_cookies
        self.name = name
        self._events: Listeners[Any] = Listeners()
        self._listening = False  # whether _events has a listener: one attribute read per call
        self._breakers: dict[str, CircuitBreaker] = {}
        self._pipelines: dict[tuple[str, int, int], Pipeline] = {}
        self._stats: dict[str, StatsRecorder] = {}
        self._endpoint_hosts: dict[str, str] = {}
        self._session: aiohttp.ClientSession | None = None
        self._transport: Transport | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def initialize(self) -> None:
        """Open the connection pool (one ``aiohttp.ClientSession``); a second call is a no-op."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(**self._connector_options)
        jar = aiohttp.CookieJar() if self._keep_cookies else aiohttp.DummyCookieJar()
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._session_timeout,
            cookie_jar=jar,
            raise_for_status=False,
        )
        self._transport = Transport(
            self._session,
            self._events,
            pause_on_429=self._pause_on_429,
            max_redirects=self._max_redirects,
        )

    async def cleanup(self) -> None:
        """Close the session and its connections; the client can be initialized again."""
        session, self._session, self._transport = self._session, None, None
        if session is not None and not session.closed:
            await session.close()

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The aiohttp session (``None`` before ``initialize()``)."""
        return self._session

    # -- endpoints, listeners, statistics ----------------------------------------------------

    def register_endpoint(self, endpoint: APIEndpoint, *, replace: bool = False) -> APIEndpoint:
        """Register ``endpoint`` so calls can name it (see :meth:`APIRegistry.register`)."""
        return self.registry.register(endpoint, replace=replace)

    def add_listener(self, listener: Callable[[Any], object]) -> Callable[[], None]:
        """Call ``listener`` with every event (:class:`RequestFinished`, ...).

        Breaker events of the per-host breakers are forwarded too. A listener that raises is
        logged and ignored. Returns a function that removes the listener.
        """
        remove = self._events.add(listener)
        self._listening = True

        def remove_listener() -> None:
            remove()
            self._listening = bool(self._events)

        return remove_listener

    def stats(self) -> dict[str, EndpointStats]:
        """Statistics per endpoint name (``"METHOD host"`` for calls by path)."""
        out: dict[str, EndpointStats] = {}
        for key, recorder in self._stats.items():
            host = self._endpoint_hosts.get(key)
            breaker = self._breakers.get(host) if host is not None else None
            if breaker is None and isinstance(self._breaker, CircuitBreaker):
                breaker = self._breaker
            state = breaker.state.value if breaker is not None else None
            out[key] = recorder.snapshot(state)
        return out

    def breaker_for(self, host: str) -> CircuitBreaker | None:
        """The breaker guarding ``host`` (``"host:port"``), if one was created."""
        if isinstance(self._breaker, CircuitBreaker):
            return self._breaker
        return self._breakers.get(host)

    # -- calls ------------------------------------------------------------------------------

    async def get(self, target: str, **options: Any) -> Result[Any]:
        """``GET`` an endpoint name or a path; see :meth:`request` for ``options``."""
        if options:
            return await self.request("GET", target, **options)
        return await plain_call(self, "GET", target)

    async def post(self, target: str, **options: Any) -> Result[Any]:
        """``POST`` to an endpoint name or a path; see :meth:`request`."""
        if options:
            return await self.request("POST", target, **options)
        return await plain_call(self, "POST", target)

    async def put(self, target: str, **options: Any) -> Result[Any]:
        """``PUT`` to an endpoint name or a path; see :meth:`request`."""
        if options:
            return await self.request("PUT", target, **options)
        return await plain_call(self, "PUT", target)

    async def patch(self, target: str, **options: Any) -> Result[Any]:
        """``PATCH`` an endpoint name or a path; see :meth:`request`."""
        if options:
            return await self.request("PATCH", target, **options)
        return await plain_call(self, "PATCH", target)

    async def delete(self, target: str, **options: Any) -> Result[Any]:
        """``DELETE`` an endpoint name or a path; see :meth:`request`."""
        if options:
            return await self.request("DELETE", target, **options)
        return await plain_call(self, "DELETE", target)

    async def call(self, endpoint: str, **options: Any) -> Result[Any]:
        """Call a registered endpoint with its own method; see :meth:`request`."""
        return await self.request(self.registry[endpoint].method.value, endpoint, **options)

    async def request(
        self,
        method: str | HTTPMethod,
        target: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: ParamsLike | None = None,
        json: Any = UNSET,
        data: Any = None,
        headers: Mapping[str, str | Secret[str]] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> Result[Any]:
        """Send a request and return its outcome as a ``Result``; never raise for outside failures.

        Args:
            method: The HTTP method.
            target: A registered endpoint name, a path (``"/posts/1"``, joined to the base
                URL) or an absolute URL.
            path_params: Values for the endpoint's ``{placeholders}`` (escaped).
            params: Query parameters (a mapping or pairs; ``Secret`` values allowed).
            json: A body to send as JSON.
            data: A body: bytes, str, a form mapping, or an async iterable / binary file
                streamed without loading it (a streamed body is never retried).
            headers: Extra headers for this call (``Secret`` values allowed).
            idempotency_key: Sent as ``Idempotency-Key``; makes an unsafe method retryable.
            timeout: Seconds per attempt for this call.

        Returns:
            A success with the decoded body as ``data`` (JSON → objects, text → ``str``, other
            → ``bytes``, empty → ``None``), or a failure whose kind says why (status kinds,
            ``TIMEOUT``, ``CONNECTION``, ``CIRCUIT_OPEN``, ``RATE_LIMITED``, ``AUTH``...).
            ``meta``: ``attempts``, ``elapsed``, ``from_cache``, ``endpoint``, ``method``;
            ``status`` and ``headers`` when a response came; ``cache`` (the cache status)
            with a cache; on failures ``url`` (redacted, no query) and, when they apply,
            ``retry_after`` and ``body`` (the decoded error body); ``auth_retries`` when the
            auth layer asked for a re-send.

        Raises:
            ClientNotInitializedError: Before ``initialize()``.
            EndpointError: An unknown endpoint name or bad path parameters.
            TypeError: An unsupported body.
        """
        if (
            path_params is None
            and params is None
            and json is UNSET
            and data is None
            and headers is None
            and idempotency_key is None
            and timeout is None
        ):
            return await plain_call(self, method, target)
        transport = self._transport
        if transport is None:
            raise ClientNotInitializedError(NOT_INITIALIZED)
        start = now()
        call, endpoint, retry, limiter = prepare_call(
            self, str(method).upper(), target, path_params, params, json, data, headers,
            idempotency_key, timeout,
        )  # fmt: skip
        pipeline = self._pipeline(call.host, retry, limiter)
        method_ = call.request.method
        cache_status: str | None = None
        try:
            if self.cache is not None and method_ in CACHEABLE and call.stream_body is None:
                value, cache_status = await fetch_through_cache(
                    self.cache, transport, call, pipeline, endpoint
                )
            else:
                value = await pipeline.call(transport.attempt, call)
        except OriginFailedError as exc:
            value = exc.result
        except Exception as exc:  # outside failures (transport, breaker, limiter) become Results
            value = failure_of(exc, call.secrets)
        result = finish_call(self, call, endpoint, value, start, cache_status)
        if self.cache is not None and result.is_success and method_ not in CACHEABLE:
            await self.cache.invalidate(call.request.url)
        return result

    # -- internals --------------------------------------------------------------------------

    def _pipeline(
        self, host: str, retry: RetryPolicy | None, limiter: RateLimiter | None
    ) -> Pipeline:
        key = (host, id(retry), id(limiter))
        pipeline = self._pipelines.get(key)
        if pipeline is None:
            components: list[object] = [c for c in (retry, limiter) if c is not None]
            breaker = self._breaker_of(host)
            if breaker is not None:
                components.append(breaker)
            limiter_key = self._rate_limit_key or host
            pipeline = Pipeline(components, limiter_key=limiter_key, name=f"{self.name}:{host}")
            self._pipelines[key] = pipeline
        return pipeline

    def _breaker_of(self, host: str) -> CircuitBreaker | None:
        config = self._breaker
        if config is None or isinstance(config, CircuitBreaker):
            return config
        breaker = self._breakers.get(host)
        if breaker is None:
            breaker = CircuitBreaker(f"{self.name}:{host}", config)
            breaker.add_listener(self._events.emit)
            self._breakers[host] = breaker
        return breaker

    def __repr__(self) -> str:
        return f"UniversalAPIClient({display_url(self._base, self._secrets)!r}, name={self.name!r})"
