"""GraphQL responses as ``Result`` values (pure: decoded HTTP outcome in, ``Result`` out).

- ``data`` without ``errors``: ``Result.ok(data)``.
- ``errors`` (with or without partial ``data``): a failed ``Result``; ``meta`` keeps the
  partial ``data``, the raw ``errors`` list and ``error_codes`` (their ``extensions.code``
  values, in order, without repeats). The kind comes from the codes (``UNAUTHENTICATED`` →
  ``AUTH``, ``BAD_USER_INPUT`` → ``VALIDATION``...), else ``QUERY``.
- A non-2xx answer keeps paca-http's kind (``AUTH`` for 401, ``UNAVAILABLE`` for 503...) and,
  when its body is a GraphQL response, the errors and partial data as above.
- Transport failures (timeout, connection, breaker open, rate limited) pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from paca.result import ErrorKind, Result

__all__ = [
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "persisted_query_fallback",
    "error_codes",
    "graphql_result",
    "is_persisted_query_not_found",
    "kind_for_codes",
]

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
_APQ_MESSAGES = {
    "PersistedQueryNotFound": PERSISTED_QUERY_NOT_FOUND,
    "PersistedQueryNotSupported": PERSISTED_QUERY_NOT_SUPPORTED,
}

_CODE_KINDS: dict[str, ErrorKind] = {
    "UNAUTHENTICATED": ErrorKind.AUTH,
    "UNAUTHORIZED": ErrorKind.AUTH,
    "FORBIDDEN": ErrorKind.AUTH,
    "BAD_USER_INPUT": ErrorKind.VALIDATION,
    "BAD_REQUEST": ErrorKind.VALIDATION,
    "GRAPHQL_PARSE_FAILED": ErrorKind.VALIDATION,
    "GRAPHQL_VALIDATION_FAILED": ErrorKind.VALIDATION,
    "NOT_FOUND": ErrorKind.NOT_FOUND,
    "CONFLICT": ErrorKind.CONFLICT,
    "RATE_LIMITED": ErrorKind.RATE_LIMITED,
    "TOO_MANY_REQUESTS": ErrorKind.RATE_LIMITED,
    "TIMEOUT": ErrorKind.TIMEOUT,
    "SERVICE_UNAVAILABLE": ErrorKind.UNAVAILABLE,
    "UNAVAILABLE": ErrorKind.UNAVAILABLE,
}
_KEPT_META = (
    "status",
    "headers",
    "attempts",
    "elapsed",
    "from_cache",
    "cache",
    "retry_after",
    "url",
)


def error_codes(errors: Any) -> tuple[str, ...]:
    """The ``extensions.code`` values of a GraphQL ``errors`` list, in order, without repeats."""
    if not isinstance(errors, list):
        return ()
    codes: dict[str, None] = {}
    for error in errors:
        if isinstance(error, dict):
            extensions = error.get("extensions")
            if isinstance(extensions, dict):
                code = extensions.get("code")
                if isinstance(code, str):
                    codes[code] = None
            apq_code = _APQ_MESSAGES.get(error.get("message"))  # type: ignore[arg-type]
            if apq_code is not None:
                codes[apq_code] = None
    return tuple(codes)


def kind_for_codes(codes: tuple[str, ...]) -> ErrorKind:
    """The kind of a GraphQL error response: the first code with a known kind, else ``QUERY``."""
    for code in codes:
        kind = _CODE_KINDS.get(code.upper())
        if kind is not None:
            return kind
    return ErrorKind.QUERY


def is_persisted_query_not_found(result: Result[Any]) -> bool:
    """Whether the server does not know the persisted query hash (the APQ fallback signal)."""
    return PERSISTED_QUERY_NOT_FOUND in result.meta.get("error_codes", ())


def persisted_query_fallback(result: Result[Any]) -> str | None:
    """Whether a hash-only request must be sent again with the document, and why.

    Returns:
        ``PERSISTED_QUERY_NOT_FOUND`` (the server will store the document),
        ``PERSISTED_QUERY_NOT_SUPPORTED`` (the code, or an HTTP 400 without a GraphQL answer:
        the server does not speak APQ, stop hashing), or ``None``.
    """
    codes = result.meta.get("error_codes", ())
    if PERSISTED_QUERY_NOT_FOUND in codes:
        return PERSISTED_QUERY_NOT_FOUND
    if PERSISTED_QUERY_NOT_SUPPORTED in codes or (
        result.meta.get("status") == 400 and "errors" not in result.meta
    ):
        return PERSISTED_QUERY_NOT_SUPPORTED
    return None


def _message(errors: list[Any], label: str) -> str:
    first = errors[0]
    text = first.get("message") if isinstance(first, dict) else None
    text = text if isinstance(text, str) and text else "GraphQL error"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{label}: {text}{more}"


def graphql_result(http: Result[Any], label: str, base_meta: dict[str, Any]) -> Result[Any]:
    """Turn the outcome of one HTTP exchange into the operation's ``Result``.

    Args:
        http: What ``UniversalAPIClient`` returned (decoded JSON on success, or a failure
            whose ``meta["body"]`` may hold a GraphQL response).
        label: The operation's label for messages (``"query GetUser"``).
        base_meta: Facts to put in ``meta`` (operation name and type...).

    Returns:
        The operation's result; see the module docstring.
    """
    meta = dict(base_meta)
    source = http.meta
    for key in _KEPT_META:
        if key in source:
            meta[key] = source[key]
    body = http.data if http.is_success else source.get("body")
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        if not http.is_success:
            return Result.fail(
                http.error or "request failed",
                http.kind or ErrorKind.UNKNOWN,
                cause=http.cause,
                meta=meta,
            )
        message = f"{label}: the answer is not a GraphQL response"
        return Result.fail(message, ErrorKind.VALIDATION, meta=meta)
    data = body.get("data")
    errors = body.get("errors")
    if isinstance(body.get("extensions"), dict):
        meta["extensions"] = body["extensions"]
    if http.is_success and not errors:
        return Result.ok(data, meta=meta)
    errors = errors if isinstance(errors, list) and errors else [{"message": http.error}]
    codes = error_codes(errors)
    meta["data"] = data
    meta["errors"] = errors
    meta["error_codes"] = codes
    kind = kind_for_codes(codes) if http.is_success else (http.kind or ErrorKind.UNKNOWN)
    return Result.fail(_message(errors, label), kind, meta=meta)
