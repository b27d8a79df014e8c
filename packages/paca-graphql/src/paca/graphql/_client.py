"""``GraphQLClient``: queries, mutations, batches and subscriptions, each returning a ``Result``.

This module holds what the client is: its configuration (the HTTP client it owns, with one
POST and one cacheable GET endpoint), its lifecycle, its listeners and its schema. The
operations (retries, caching, events) are :mod:`paca.graphql._client_operations`.

The endpoint URL's query string is sent with every request; its userinfo becomes Basic auth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from paca.graphql._client_operations import OperationsMixin
from paca.graphql._client_send import GET_ENDPOINT, POST_ENDPOINT
from paca.graphql._schema import (
    INTROSPECTION_QUERY,
    SchemaValidator,
    load_schema,
    schema_from_introspection,
)
from paca.http import APIEndpoint, CachePolicy, HTTPMethod, UniversalAPIClient
from paca.resilience import BreakerConfig, CircuitBreaker, Listeners, RateLimiter, RetryPolicy
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from types import TracebackType

    from graphql import GraphQLSchema
    from paca.graphql._client_operations import HeadersLike
    from paca.http import AuthProvider

__all__ = ["DEFAULT_RETRYABLE_CODES", "GraphQLClient"]

#: ``extensions.code`` values retried by default (queries, idempotent mutations).
DEFAULT_RETRYABLE_CODES = frozenset({"SERVICE_UNAVAILABLE", "UNAVAILABLE", "TIMEOUT"})
_ACCEPT = "application/graphql-response+json, application/json"
_DEFAULT: Any = object()


class GraphQLClient(OperationsMixin):
    """An asyncio GraphQL client whose every operation returns a :class:`~paca.result.Result`.

    Args:
        url: The GraphQL HTTP endpoint (``"https://api.example.com/graphql"``).
        auth: An auth provider (``paca.http.AuthManager``) applied to every HTTP attempt and
            to the WebSocket handshake of subscriptions.
        ws_url: The ``graphql-transport-ws`` endpoint for :meth:`subscribe`.
        retry: A ``RetryPolicy`` for queries and idempotent mutations (default: 3 attempts,
            full jitter); ``None`` disables retries.
        retryable_codes: ``extensions.code`` values retried like transport failures.
        breaker: Passed to ``UniversalAPIClient`` (one breaker per host by default).
        rate_limit: A ``RateLimiter`` shared by every operation.
        cache: A ``paca.http.ResponseCache``; queries are then sent as GET and cached by
            (document, variables) for ``cache_ttl`` seconds. ``None`` (default): no cache.
        cache_ttl: Freshness of cached query results (``None``: follow ``Cache-Control``).
        cache_authenticated: Cache answers to authenticated calls too, partitioned by
            credential (off by default: such answers are never stored).
        headers: Headers sent with every operation (``Secret`` values allowed).
        timeout: Seconds per HTTP attempt (default: paca-http's).
        schema: SDL text, an SDL file ``Path`` or a ``GraphQLSchema``: documents are validated
            against it before sending.
        fetch_schema: Fetch the schema by introspection in :meth:`initialize`.
        persisted_queries: Automatic persisted queries: send the hash first, the document
            when the server answers ``PersistedQueryNotFound``; a server that does not speak
            APQ (``PersistedQueryNotSupported`` or HTTP 400) turns them off for the client.
        ws_init_payload: Builds the ``connection_init`` payload from the handshake headers
            (default: ``{"Authorization": ...}`` when there is one).
        subscription_options: Passed as is to the subscriptions module.
        name: Names the client (and its HTTP client) in stats and reprs.
        http_options: Other keyword arguments for ``UniversalAPIClient`` (``limit``...).

    Example:
        >>> client = GraphQLClient("https://api.example.com/graphql")
        >>> # async with client:
        >>> #     r = await client.query("query($id: ID!) { user(id: $id) { name } }",
        >>> #                            variables={"id": "1"})
        >>> #     r.data, r.meta["error_codes"] if not r.is_success else None
    """

    def __init__(
        self,
        url: str,
        *,
        auth: AuthProvider | None = None,
        ws_url: str | None = None,
        retry: RetryPolicy | None = _DEFAULT,
        retryable_codes: frozenset[str] | set[str] = DEFAULT_RETRYABLE_CODES,
        breaker: BreakerConfig | CircuitBreaker | None = _DEFAULT,
        rate_limit: RateLimiter | None = None,
        cache: Any = None,
        cache_ttl: float | None = 60.0,
        cache_authenticated: bool = False,
        headers: HeadersLike | None = None,
        timeout: float | None = None,
        schema: str | Path | GraphQLSchema | None = None,
        fetch_schema: bool = False,
        persisted_queries: bool = False,
        ws_init_payload: Callable[[Mapping[str, str]], Mapping[str, Any]] | None = None,
        subscription_options: Any = None,
        name: str = "graphql",
        **http_options: Any,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            msg = f"url must be an absolute http(s) URL, got {url!r}"
            raise ValueError(msg)
        base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        path = parts.path or "/"
        self.url = url
        # Userinfo becomes Basic auth in the HTTP client; the query string goes with every call.
        self._endpoint_url = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{path}"
        self._url_params = parse_qsl(parts.query, keep_blank_values=True)
        self._refresh = set()  # cached queries whose last answer had errors
        self.ws_url = ws_url
        self.retry = RetryPolicy(attempts=3, max_retry_after=60.0) if retry is _DEFAULT else retry
        self.retryable_codes = frozenset(retryable_codes)
        self.persisted_queries = persisted_queries
        self.name = name
        self._fetch_schema = fetch_schema
        self.set_schema(schema)
        self._ws_init_payload = ws_init_payload
        self._headers = dict(headers or {})
        self._subscription_options = subscription_options
        self._events = Listeners()
        if breaker is not _DEFAULT:
            http_options["breaker"] = breaker
        self.http = UniversalAPIClient(
            base, auth=auth, retry=None, rate_limit=rate_limit, cache=cache,
            headers=headers, timeout=timeout, name=name, **http_options,
        )  # fmt: skip
        accept = {"Accept": _ACCEPT}
        self.http.register_endpoint(
            APIEndpoint(name=POST_ENDPOINT, url=path, method=HTTPMethod.POST, headers=accept)
        )
        policy = CachePolicy(ttl=cache_ttl, store_authenticated=cache_authenticated)
        self.http.register_endpoint(
            APIEndpoint(
                name=GET_ENDPOINT,
                url=path,
                method=HTTPMethod.GET,
                headers=accept,
                cache_policy=policy,
            )
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def initialize(self) -> None:
        """Open the HTTP session; fetch the schema when ``fetch_schema=True``.

        Raises:
            ResultError: The schema fetch failed (the session is closed again).
        """
        await self.http.initialize()
        if self._fetch_schema and self._validator is None:
            fetched = await self.fetch_schema()
            if not fetched.is_success:
                await self.http.cleanup()
                fetched.unwrap()

    async def cleanup(self) -> None:
        """Close the HTTP session; the client can be initialized again."""
        await self.http.cleanup()

    async def __aenter__(self) -> GraphQLClient:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.cleanup()

    def add_listener(self, listener: Callable[[Any], object]) -> Callable[[], None]:
        """Call ``listener`` with each :class:`OperationFinished` (a raising one is ignored).

        HTTP-level events (``RequestFinished``, breaker changes) come from
        ``client.http.add_listener``. Returns a function that removes the listener.
        """
        return self._events.add(listener)

    # -- schema -----------------------------------------------------------------------------

    @property
    def schema(self) -> GraphQLSchema | None:
        """The schema documents are validated against (``None``: no local validation)."""
        return self._validator.schema if self._validator is not None else None

    def set_schema(self, schema: str | Path | GraphQLSchema | None) -> None:
        """Validate documents against ``schema`` (SDL, file, object); ``None`` stops validating."""
        self._validator = SchemaValidator(load_schema(schema)) if schema is not None else None

    async def fetch_schema(self, *, headers: HeadersLike | None = None) -> Result[GraphQLSchema]:
        """Fetch the schema by introspection and validate documents against it from now on."""
        fetched = await self.query(INTROSPECTION_QUERY, headers=headers, cache=False)
        if not fetched.is_success:
            kind = fetched.kind or ErrorKind.UNKNOWN
            return Result.fail(fetched.error or "", kind, cause=fetched.cause, meta=fetched.meta)
        try:
            schema = schema_from_introspection(fetched.data)
        except ValueError as exc:
            return Result.fail(str(exc), ErrorKind.VALIDATION, cause=exc, meta=fetched.meta)
        self._validator = SchemaValidator(schema)
        return Result.ok(schema, meta=fetched.meta)

    def __repr__(self) -> str:
        return f"GraphQLClient({self.http!r}, name={self.name!r})"
