"""``GraphQLClient``: queries, mutations, batches and subscriptions, each returning a ``Result``.

Queries and mutations go over HTTP through a ``paca.http.UniversalAPIClient`` the client owns,
so auth (``AuthManager``, key pools), the per-host breaker, the rate limiter, statistics and
the response cache are paca-http's own. The retry loop is one ``paca.resilience.RetryPolicy``
around each operation (the HTTP client runs without its own), because only this layer can see
GraphQL error codes: it retries queries (and mutations that carry an idempotency key) on
retryable transport failures and on errors whose ``extensions.code`` is in ``retryable_codes``.

Caching (off by default): with ``cache=ResponseCache(...)``, queries are sent as GET with
``query``/``variables``/``operationName``/``extensions`` as URL parameters (GraphQL over HTTP),
so paca-http's RFC 9111 cache keys them by (document, variables) (and by credential, with
``cache_authenticated``). An answer with GraphQL errors is dropped from the cache and the next
request for it is sent with ``Cache-Control: no-cache``, so neither the retry nor the next
call gets a cached error. Mutations always go as POST. Long documents make long URLs: pair
the cache with ``persisted_queries`` (hash only in the URL) when documents are big.

The endpoint URL's query string is sent with every request; its userinfo becomes Basic auth.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from paca.graphql._batch import BatchOperation, send_batch
from paca.graphql._client_send import (
    GET_ENDPOINT,
    POST_ENDPOINT,
    CallState,
    Final,
    RetryableGraphQLError,
    attempt_operation,
    check_operation,
)
from paca.graphql._client_subscribe import stream_subscription
from paca.graphql._graphql_events import OperationFinished
from paca.graphql._operation import DocumentError, Operation, parse_operation
from paca.graphql._schema import (
    INTROSPECTION_QUERY,
    SchemaValidator,
    load_schema,
    schema_from_introspection,
)
from paca.http import APIEndpoint, CachePolicy, HTTPMethod, UniversalAPIClient
from paca.resilience import BreakerConfig, CircuitBreaker, Listeners, RateLimiter, RetryPolicy
from paca.result import ErrorKind, Result, Secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping, Sequence
    from pathlib import Path
    from types import TracebackType

    from graphql import GraphQLSchema
    from paca.http import AuthProvider

    HeadersLike = Mapping[str, str | Secret[str]]

__all__ = ["DEFAULT_RETRYABLE_CODES", "GraphQLClient"]

#: ``extensions.code`` values retried by default (queries, idempotent mutations).
DEFAULT_RETRYABLE_CODES = frozenset({"SERVICE_UNAVAILABLE", "UNAVAILABLE", "TIMEOUT"})
_ACCEPT = "application/graphql-response+json, application/json"
_DEFAULT: Any = object()


class GraphQLClient:
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
        self._refresh: set[str] = set()  # cached queries whose last answer had errors
        self.ws_url = ws_url
        self.retry = RetryPolicy(attempts=3, max_retry_after=60.0) if retry is _DEFAULT else retry
        self.retryable_codes = frozenset(retryable_codes)
        self.persisted_queries = persisted_queries
        self.name = name
        self._fetch_schema = fetch_schema
        self._validator = SchemaValidator(load_schema(schema)) if schema is not None else None
        self._ws_init_payload = ws_init_payload
        self._headers: dict[str, str | Secret[str]] = dict(headers or {})
        self._subscription_options = subscription_options
        self._events: Listeners[Any] = Listeners()
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

    # -- operations -------------------------------------------------------------------------

    async def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        headers: HeadersLike | None = None,
        extensions: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        cache: bool = True,
    ) -> Result[Any]:
        """Run a query and return its ``data`` as a ``Result``.

        Args:
            document: The GraphQL document (it must select a ``query`` operation).
            variables: Its variables.
            operation_name: The operation to run when the document holds several.
            headers: Headers for this call only (e.g. ``{"Authorization": Secret(...)}``);
                concurrent calls never see each other's headers.
            extensions: Request ``extensions`` for this call.
            timeout: Seconds per HTTP attempt for this call.
            cache: Use the response cache, when the client has one (``False``: send as POST).

        Returns:
            ``Result.ok(data)``; or a failure: GraphQL errors (``meta``: ``data`` (partial),
            ``errors``, ``error_codes``; kind from the codes, else ``QUERY``), ``VALIDATION``
            for a document that does not parse or fails schema validation (no network call),
            or paca-http's kinds for transport failures and non-2xx answers. ``meta`` also
            holds ``operation_name``, ``operation_type``, ``attempts``, ``duration``,
            ``from_cache`` and, when a response came, ``status``.
        """
        get_url = self._endpoint_url if cache and self.http.cache is not None else None
        call = CallState(
            headers, extensions, None, timeout, get_url, self._url_params, self._refresh
        )
        return await self._run(document, variables, operation_name, "query", call)

    async def mutate(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        headers: HeadersLike | None = None,
        extensions: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Result[Any]:
        """Run a mutation (always POST, never cached); see :meth:`query` for the result.

        Args:
            document: The GraphQL document (it must select a ``mutation`` operation).
            variables: Its variables.
            operation_name: The operation to run when the document holds several.
            headers: Headers for this call only.
            extensions: Request ``extensions`` for this call.
            timeout: Seconds per HTTP attempt for this call.
            idempotency_key: Sent as ``Idempotency-Key``; only then is the mutation retried.
        """
        call = CallState(headers, extensions, idempotency_key, timeout, None, self._url_params)
        return await self._run(document, variables, operation_name, "mutation", call)

    async def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Result[Any]:
        """Run a query or a mutation, whichever the document holds (see :meth:`query`)."""
        try:
            kind = parse_operation(document, options.get("operation_name")).type
        except DocumentError:
            kind = "query"  # query() reports the error as a VALIDATION failure
        if kind == "mutation":
            return await self.mutate(document, variables, **options)
        return await self.query(document, variables, **options)

    async def batch(
        self,
        operations: Sequence[BatchOperation | str],
        *,
        headers: HeadersLike | None = None,
        timeout: float | None = None,
    ) -> list[Result[Any]]:
        """Send several queries/mutations in ONE POST (a JSON array); one ``Result`` each, in order.

        Operations that fail local checks get their ``VALIDATION`` result and are not sent.
        The batch is retried only when every operation sent is a query. The server must
        support batching; if it does not, each operation fails with its answer's kind.
        """
        start = time.perf_counter()
        ops = [op if isinstance(op, BatchOperation) else BatchOperation(op) for op in operations]
        results: list[Result[Any] | None] = [None] * len(ops)
        sent: list[tuple[int, Operation, BatchOperation]] = []
        for index, item in enumerate(ops):
            parsed = self._check(item.document, item.operation_name, None)
            if isinstance(parsed, Result):
                results[index] = parsed
            else:
                sent.append((index, parsed, item))
        if sent:
            ops_sent = [op for _, op, _ in sent]
            retry = self.retry if all(op.type == "query" for op in ops_sent) else None
            call = CallState(headers, None, None, timeout, None, self._url_params)
            variables = [item.variables for _, _, item in sent]
            answers = await send_batch(self.http, retry, ops_sent, variables, call)
            for (index, op, _), result in zip(sent, answers, strict=True):
                results[index] = self._finish(op, result, start, call, len(sent), persisted=False)
        return [r for r in results if r is not None]

    async def subscribe(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        headers: HeadersLike | None = None,
    ) -> AsyncIterator[Result[Any]]:
        """Yield one ``Result`` per event of a subscription over ``graphql-transport-ws``.

        The handshake headers (client headers, ``headers``, then the auth provider's) are
        built again on each (re)connection, and ``connection_init`` carries
        ``ws_init_payload(headers)``. A failure to start yields one failed ``Result``.
        """
        parsed = self._check(document, operation_name, "subscription")
        if isinstance(parsed, Result):
            yield parsed
            return
        if self.ws_url is None:
            yield Result.fail("subscriptions need ws_url", ErrorKind.VALIDATION)
            return
        stream = stream_subscription(
            self.http, self.ws_url, document, variables, operation_name=operation_name,
            defaults=self._headers, headers=headers, init_payload=self._ws_init_payload,
            options=self._subscription_options,
        )  # fmt: skip
        async for item in stream:
            yield item

    # -- internals --------------------------------------------------------------------------

    def _check(
        self, document: str, name: str | None, expected: str | None
    ) -> Operation | Result[Any]:
        start = time.perf_counter()
        checked = check_operation(document, name, expected, self._validator)
        if isinstance(checked, Result) and self._events:
            meta = checked.meta
            kind = meta.get("operation_type", expected or "query")
            self._emit(meta.get("operation_name", name), kind, start, checked)
        return checked

    async def _run(
        self,
        document: str,
        variables: Mapping[str, Any] | None,
        name: str | None,
        expected: str,
        call: CallState,
    ) -> Result[Any]:
        start = time.perf_counter()
        op = self._check(document, name, expected)
        if isinstance(op, Result):
            return op
        retry = self.retry if (op.type == "query" or call.idempotency_key) else None
        flags = (self.persisted_queries, self.retryable_codes)
        try:
            if retry is None:
                value = await attempt_operation(self.http, op, variables, call, *flags)
            else:
                value = await retry.call(attempt_operation, self.http, op, variables, call, *flags)
        except RetryableGraphQLError as exc:
            value = exc.result
        result = value.result if isinstance(value, Final) else value
        if result.meta.get("apq_unsupported"):
            self.persisted_queries = False  # the server does not speak APQ: stop hashing
        return self._finish(op, result, start, call)

    def _finish(
        self,
        op: Operation,
        result: Result[Any],
        start: float,
        call: CallState,
        batch_size: int = 1,
        *,
        persisted: bool | None = None,
    ) -> Result[Any]:
        duration = time.perf_counter() - start
        result = result.with_meta(attempts=call.attempts, duration=duration)
        if self._events:
            self._events.emit(
                OperationFinished(
                    op.name, op.type, duration, result.kind, result.meta.get("error_codes", ()),
                    call.attempts, bool(result.meta.get("from_cache")),
                    self.persisted_queries if persisted is None else persisted,
                    batch_size,
                )
            )  # fmt: skip
        return result

    def _emit(self, name: str | None, kind: str, start: float, result: Result[Any]) -> None:
        if self._events:
            duration = time.perf_counter() - start
            codes = result.meta.get("error_codes", ())
            self._events.emit(OperationFinished(name, kind, duration, result.kind, codes, 0))

    def __repr__(self) -> str:
        return f"GraphQLClient({self.http!r}, name={self.name!r})"
