"""What :class:`~paca.resilience.RetryPolicy` retries, and what it learns from a failure.

Pure helpers, no I/O: the ``retry_on`` predicate, the kinds retried by default, the
:class:`~paca.result.ErrorKind` of a failed attempt and the ``Retry-After`` it carries.

What is retried:

- an exception whose :class:`~paca.result.ErrorKind` (see
  :func:`~paca.resilience._errors.classify`) is retryable, or, when
  ``retry_on`` is given, an exception that matches it;
- a returned failed :class:`~paca.result.Result` whose kind is retryable
  (or in ``retry_kinds``), or, when ``retry_if_result`` is given, any value
  it accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from paca.resilience._errors import classify
from paca.resilience._retry_after import parse_retry_after
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["RETRYABLE_KINDS", "exception_test", "kind_of", "retry_after_of"]

#: The kinds retried when ``retry_kinds`` is not given.
RETRYABLE_KINDS = frozenset(kind for kind in ErrorKind if kind.is_retryable)


def exception_test(
    retry_on: type[BaseException] | tuple[type[BaseException], ...] | Callable[[Exception], bool],
) -> Callable[[Exception], bool]:
    """Turn ``retry_on`` (exception types or a predicate) into a predicate on exceptions.

    Raises:
        TypeError: If ``retry_on`` is neither.
    """
    if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
        return lambda exc: isinstance(exc, retry_on)
    if isinstance(retry_on, tuple):
        if not all(isinstance(t, type) and issubclass(t, BaseException) for t in retry_on):
            msg = "retry_on must be exception types or a predicate"
            raise TypeError(msg)
        return lambda exc: isinstance(exc, retry_on)
    if callable(retry_on):
        predicate = cast("Callable[[Exception], bool]", retry_on)
        return lambda exc: bool(predicate(exc))
    msg = f"retry_on must be exception types or a predicate, got {type(retry_on).__name__}"
    raise TypeError(msg)


def kind_of(error: Exception | None, value: Any) -> ErrorKind:
    """Return the :class:`~paca.result.ErrorKind` of a failed attempt (its error, or value)."""
    if error is not None:
        return classify(error)
    if isinstance(value, Result) and value.kind is not None:
        return value.kind
    return ErrorKind.UNKNOWN


def retry_after_of(error: Exception | None, value: Any, cap: float | None) -> float | None:
    """Return the ``Retry-After`` a failed attempt carries, in seconds, capped at ``cap``."""
    if error is not None:
        raw = getattr(error, "retry_after", None)
    elif isinstance(value, Result):
        raw = value.meta.get("retry_after")
    else:
        return None
    if raw is None:
        return None
    return parse_retry_after(raw, cap=cap)
