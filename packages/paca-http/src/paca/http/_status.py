"""Map an HTTP status code to the shared :class:`~paca.result.ErrorKind` (pure)."""

from __future__ import annotations

from http import HTTPStatus

from paca.result import ErrorKind

__all__ = ["is_breaker_failure_status", "kind_for_status", "reason_for"]

_KINDS: dict[int, ErrorKind] = {
    400: ErrorKind.VALIDATION,
    401: ErrorKind.AUTH,
    403: ErrorKind.AUTH,
    404: ErrorKind.NOT_FOUND,
    408: ErrorKind.TIMEOUT,
    409: ErrorKind.CONFLICT,
    410: ErrorKind.NOT_FOUND,
    422: ErrorKind.VALIDATION,
    429: ErrorKind.RATE_LIMITED,
    502: ErrorKind.UNAVAILABLE,
    503: ErrorKind.UNAVAILABLE,
    504: ErrorKind.UNAVAILABLE,
}


def kind_for_status(status: int) -> ErrorKind | None:
    """Return the kind of a failed status, or ``None`` for a success (2xx).

    ``400``/``422`` validation, ``401``/``403`` auth, ``404``/``410`` not found,
    ``408`` timeout, ``409`` conflict, ``429`` rate limited, ``502``/``503``/``504``
    unavailable; any other non-2xx status is ``HTTP_STATUS``.
    """
    if 200 <= status < 300:
        return None
    return _KINDS.get(status, ErrorKind.HTTP_STATUS)


def is_breaker_failure_status(status: int) -> bool:
    """Whether a status says the server is unhealthy: 5xx, 408 and 429 (not other 4xx)."""
    return status >= 500 or status in (408, 429)


def reason_for(status: int) -> str:
    """The standard reason phrase of ``status`` (``""`` if unknown)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
