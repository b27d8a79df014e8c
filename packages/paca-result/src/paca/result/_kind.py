"""The closed set of error kinds every PACA package reports."""

from __future__ import annotations

import enum

__all__ = ["ErrorKind"]


class ErrorKind(str, enum.Enum):
    """What went wrong, in a form code can branch on.

    The set is closed and shared by every ``paca.*`` package, so a caller can
    handle a timeout the same way whether it came from HTTP, PostgreSQL or
    Redis. The value is a stable lower-case string, safe to put in metrics
    labels and logs.

    ``is_retryable`` says whether repeating the same operation later may
    succeed (a timeout, a lost connection, a rate limit, a server that is
    unavailable, or a primary that was demoted and will be routed around).
    Whether an operation is *safe* to repeat (idempotency) is for the caller
    to decide.
    """

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_STATUS = "http_status"
    RATE_LIMITED = "rate_limited"
    CIRCUIT_OPEN = "circuit_open"
    AUTH = "auth"
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    QUERY = "query"
    INTEGRITY = "integrity"
    UNAVAILABLE = "unavailable"
    READ_ONLY = "read_only"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_retryable(self) -> bool:
        """Whether the same operation may succeed if tried again later."""
        return self in _RETRYABLE

    def __str__(self) -> str:
        return self.value


_RETRYABLE = frozenset(
    {
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.RATE_LIMITED,
        ErrorKind.UNAVAILABLE,
        ErrorKind.READ_ONLY,
    }
)
