"""How ``GraphQLClient`` sends one operation: the attempt, APQ fallback, GET or POST, verdicts.

One attempt = one HTTP request through ``UniversalAPIClient`` (two with automatic persisted
queries when the server does not know the hash yet). :func:`verdict` tells the retry loop what
to do with the outcome: transport failures are returned as failed ``Result`` values (retried by
kind), GraphQL errors are final (:class:`Final`) unless a code is retryable
(:class:`RetryableGraphQLError`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from paca.graphql._operation import DocumentError, build_payload, parse_operation
from paca.graphql._response import (
    PERSISTED_QUERY_NOT_SUPPORTED,
    graphql_result,
    persisted_query_fallback,
)
from paca.http import OutgoingRequest
from paca.result import ErrorKind, Result, ResultError, Secret

if TYPE_CHECKING:
    from collections.abc import Mapping

    from paca.graphql._operation import Operation
    from paca.graphql._schema import SchemaValidator
    from paca.http import UniversalAPIClient

__all__ = [
    "GET_ENDPOINT",
    "POST_ENDPOINT",
    "CallState",
    "Final",
    "RetryableGraphQLError",
    "attempt_operation",
    "base_meta",
    "check_operation",
    "label",
    "verdict",
    "ws_headers",
]

POST_ENDPOINT, GET_ENDPOINT = "graphql", "graphql_get"
_MAX_REFRESH = 1024


class RetryableGraphQLError(ResultError):
    """Raised inside the retry loop for a GraphQL error with a retryable code."""

    def __init__(self, result: Result[Any]) -> None:
        super().__init__(result.error or "GraphQL error", ErrorKind.UNAVAILABLE, result.meta)
        self.result = result
        self.retry_after = result.meta.get("retry_after")


class Final:
    """A GraphQL-level outcome the retry loop must hand back as it is."""

    __slots__ = ("result",)

    def __init__(self, result: Result[Any]) -> None:
        self.result = result


class CallState:
    """What one operation needs across its attempts, and how many HTTP requests it made."""

    __slots__ = (
        "attempts",
        "extensions",
        "get_url",
        "headers",
        "idempotency_key",
        "refresh",
        "timeout",
        "url_params",
    )

    def __init__(
        self,
        headers: Mapping[str, str | Secret[str]] | None,
        extensions: Mapping[str, Any] | None,
        idempotency_key: str | None,
        timeout: float | None,
        get_url: str | None,
        url_params: list[tuple[str, str]],
        refresh: set[str] | None = None,
    ) -> None:
        self.headers = headers
        self.extensions = extensions
        self.idempotency_key = idempotency_key
        self.timeout = timeout
        self.get_url = get_url  # the endpoint URL when sent as a cacheable GET, else None
        self.url_params = url_params  # the query string of the endpoint URL, sent every time
        self.refresh = refresh if refresh is not None else set()  # GET queries to refetch
        self.attempts = 0


def label(op: Operation) -> str:
    """``"query GetUser"`` (or just the type for an anonymous operation), for messages."""
    return f"{op.type} {op.name}" if op.name else op.type


def base_meta(op: Operation) -> dict[str, Any]:
    """The ``meta`` every result of ``op`` starts with."""
    return {"operation_name": op.name, "operation_type": op.type}


def verdict(result: Result[Any], retryable_codes: frozenset[str]) -> Result[Any] | Final:
    """Classify an attempt's outcome for the retry loop (see the module docstring).

    Raises:
        RetryableGraphQLError: GraphQL errors (on a 2xx answer) with a code in ``retryable_codes``.
    """
    if result.is_success or "errors" not in result.meta:
        return result
    status = result.meta.get("status", 200)
    if not 200 <= status < 300:
        return result  # an HTTP failure: retried (or not) by its kind
    if retryable_codes.intersection(result.meta.get("error_codes", ())):
        raise RetryableGraphQLError(result)
    return Final(result)


async def _send(
    http: UniversalAPIClient, op: Operation, payload: dict[str, Any], call: CallState
) -> Result[Any]:
    call.attempts += 1
    if call.get_url is None:
        answer = await http.request(
            "POST", POST_ENDPOINT, params=call.url_params, json=payload, headers=call.headers,
            idempotency_key=call.idempotency_key, timeout=call.timeout,
        )  # fmt: skip
        return graphql_result(answer, label(op), base_meta(op))
    params = [
        *call.url_params,
        *(
            (key, value if isinstance(value, str) else json.dumps(value, sort_keys=True))
            for key, value in payload.items()
        ),
    ]
    key = urlencode(params)
    headers = call.headers
    if key in call.refresh:  # its last answer had errors: refetch, and store the new answer
        call.refresh.discard(key)
        headers = {**(headers or {}), "Cache-Control": "no-cache"}
    answer = await http.request(
        "GET", GET_ENDPOINT, params=params, headers=headers, timeout=call.timeout
    )
    result = graphql_result(answer, label(op), base_meta(op))
    if "errors" in result.meta and http.cache is not None:
        # An answer with errors (transient, PersistedQueryNotFound...) must not answer the
        # retry or the next call from the cache: drop the shared entry, refetch next time.
        if len(call.refresh) < _MAX_REFRESH:
            call.refresh.add(key)
        await http.cache.invalidate(f"{call.get_url}?{key}")
    return result


async def attempt_operation(
    http: UniversalAPIClient,
    op: Operation,
    variables: Mapping[str, Any] | None,
    call: CallState,
    persisted: bool,
    retryable_codes: frozenset[str],
) -> Result[Any] | Final:
    """One attempt of ``op``: with ``persisted``, the hash alone first, then the document.

    When the server does not speak APQ, the result's ``meta["apq_unsupported"]`` is true.

    Raises:
        RetryableGraphQLError: See :func:`verdict`.
    """
    if persisted:
        payload = build_payload(op, variables, call.extensions, persisted=True, include_query=False)
        result = await _send(http, op, payload, call)
        fallback = persisted_query_fallback(result)
        if fallback is None:
            return verdict(result.with_meta(persisted=True), retryable_codes)
        unsupported = fallback == PERSISTED_QUERY_NOT_SUPPORTED
        payload = build_payload(op, variables, call.extensions, persisted=not unsupported)
        result = await _send(http, op, payload, call)
        return verdict(
            result.with_meta(persisted=True, apq_unsupported=unsupported), retryable_codes
        )
    payload = build_payload(op, variables, call.extensions)
    return verdict(await _send(http, op, payload, call), retryable_codes)


async def ws_headers(
    http: UniversalAPIClient,
    url: str,
    defaults: Mapping[str, str | Secret[str]],
    headers: Mapping[str, str | Secret[str]] | None,
) -> dict[str, str]:
    """The WebSocket handshake headers: ``defaults``, ``headers``, then the auth provider's."""
    request = OutgoingRequest("GET", url)
    for layer in (defaults, headers or {}):
        for key, value in layer.items():
            request.headers[key] = value.reveal() if isinstance(value, Secret) else value
    auth, session = http.auth, http.session
    if auth is not None and session is not None:
        await auth.apply(request, session)
    return dict(request.headers)


def check_operation(
    document: str, name: str | None, expected: str | None, validator: SchemaValidator | None
) -> Operation | Result[Any]:
    """Parse ``document`` and check it locally: the operation type, then the schema.

    Returns:
        The operation, or a ``VALIDATION`` failure (``meta["attempts"] == 0``: nothing sent).
    """
    try:
        op = parse_operation(document, name)
    except DocumentError as exc:
        return Result.fail(str(exc), ErrorKind.VALIDATION, meta={"attempts": 0})
    problems: tuple[str, ...] = ()
    if expected is not None and op.type != expected:
        problems = (f"expected a {expected} operation, the document holds a {op.type}",)
    elif validator is not None:
        problems = validator.errors(op)
    if not problems:
        return op
    meta = {**base_meta(op), "attempts": 0, "errors": [{"message": p} for p in problems]}
    return Result.fail(f"{label(op)}: {problems[0]}", ErrorKind.VALIDATION, meta=meta)
