"""The operations of ``GraphQLClient``: query, mutate, execute, batch and subscribe.

Queries and mutations go over HTTP through the client's ``paca.http.UniversalAPIClient``, so
auth (``AuthManager``, key pools), the per-host breaker, the rate limiter, statistics and the
response cache are paca-http's own. The retry loop is one ``paca.resilience.RetryPolicy``
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

Each operation is checked locally first (type, schema) and ends with one ``OperationFinished``
event to the client's listeners. How one attempt is sent lives in ``_client_send``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from paca.graphql._batch import BatchOperation, send_batch
from paca.graphql._client_send import (
    CallState,
    Final,
    RetryableGraphQLError,
    attempt_operation,
    check_operation,
)
from paca.graphql._client_subscribe import stream_subscription
from paca.graphql._graphql_events import OperationFinished
from paca.graphql._operation import DocumentError, Operation, parse_operation
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping, Sequence

    from paca.graphql._schema import SchemaValidator
    from paca.http import UniversalAPIClient
    from paca.resilience import Listeners, RetryPolicy
    from paca.result import Secret

    HeadersLike = Mapping[str, str | Secret[str]]

__all__ = ["OperationsMixin"]


class OperationsMixin:
    """Adds the operations to ``GraphQLClient`` (which sets the attributes declared here)."""

    http: UniversalAPIClient
    ws_url: str | None
    retry: RetryPolicy | None
    retryable_codes: frozenset[str]
    persisted_queries: bool
    _validator: SchemaValidator | None
    _events: Listeners[Any]
    _endpoint_url: str
    _url_params: list[tuple[str, str]]
    _refresh: set[str]  # cached queries whose last answer had errors
    _headers: dict[str, str | Secret[str]]
    _ws_init_payload: Callable[[Mapping[str, str]], Mapping[str, Any]] | None
    _subscription_options: Any

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
