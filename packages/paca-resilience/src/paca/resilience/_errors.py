"""The exceptions of ``paca.resilience`` and the one place that classifies failures.

Exception tree (raised by the raising APIs ``call()`` / ``async with``; the
``execute()`` APIs return them as failed ``Result`` values instead)::

    ResilienceError                 kind, retry_after
    ├── CircuitOpenError            the breaker rejected the call
    ├── RateLimitedError            the limiter rejected the call
    └── BulkheadFullError           no concurrency slot or queue place

Misuse (bad configuration) raises ``ValueError`` / ``TypeError`` at
construction, naming the parameter.
"""

from __future__ import annotations

import asyncio
from typing import Any

from paca.result import ErrorKind, Result, ResultError

__all__ = [
    "BulkheadFullError",
    "CircuitOpenError",
    "RateLimitedError",
    "ResilienceError",
    "classify",
    "failure_from",
]


class ResilienceError(Exception):
    """A call was rejected by a resilience component before it ran.

    Attributes:
        kind: The :class:`~paca.result.ErrorKind` this rejection maps to.
        retry_after: Seconds after which trying again may succeed, if known.
    """

    kind: ErrorKind = ErrorKind.UNAVAILABLE

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CircuitOpenError(ResilienceError):
    """The circuit breaker is open (or forced open, or out of half-open permits)."""

    kind = ErrorKind.CIRCUIT_OPEN

    def __init__(self, name: str, state: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"circuit breaker {name!r} is {state}", retry_after=retry_after)
        self.name = name
        self.state = state


class RateLimitedError(ResilienceError):
    """The rate limiter did not admit the call in time."""

    kind = ErrorKind.RATE_LIMITED


class BulkheadFullError(ResilienceError):
    """The bulkhead had no free slot and no queue place within its wait."""

    kind = ErrorKind.UNAVAILABLE


def classify(exc: BaseException) -> ErrorKind:
    """Map an exception to the shared :class:`~paca.result.ErrorKind`.

    The single place where this package turns exceptions into kinds.
    """
    if isinstance(exc, ResilienceError):
        return exc.kind
    if isinstance(exc, ResultError):
        return exc.kind
    if isinstance(exc, asyncio.CancelledError):
        return ErrorKind.CANCELLED
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError is TimeoutError on 3.11+
        return ErrorKind.TIMEOUT
    if isinstance(exc, asyncio.TimeoutError):  # pragma: no cover - Python 3.10 only
        return ErrorKind.TIMEOUT
    if isinstance(exc, (ConnectionError, OSError)):
        return ErrorKind.CONNECTION
    return ErrorKind.UNKNOWN


def failure_from(exc: BaseException, **meta: Any) -> Result[Any]:
    """Build the failed ``Result`` for ``exc``, keeping it as the cause."""
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        meta.setdefault("retry_after", retry_after)
    message = str(exc) or type(exc).__name__
    return Result.fail(message, classify(exc), cause=exc, meta=meta)
