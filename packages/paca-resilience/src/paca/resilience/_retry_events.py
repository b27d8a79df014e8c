"""The events of ``RetryPolicy`` (given to its listeners)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paca.result import ErrorKind, Result

__all__ = ["RetryEvent", "RetryGaveUp", "RetryScheduled", "describe_failure"]


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """Event: an attempt failed and another one will run after ``delay``.

    Attributes:
        name: The policy's name.
        attempt: The number of the attempt that failed (1 for the first).
        delay: Seconds until the next attempt.
        kind: What went wrong.
        error: A short description of the failure.
    """

    name: str
    attempt: int
    delay: float
    kind: ErrorKind
    error: str


@dataclass(frozen=True, slots=True)
class RetryGaveUp:
    """Event: a retryable failure will not be retried.

    Attributes:
        name: The policy's name.
        attempts: Attempts made.
        kind: The last failure's kind.
        reason: ``"stopped"`` (attempts, deadline or a custom stop) or
            ``"budget"`` (the shared :class:`RetryBudget` is spent).
    """

    name: str
    attempts: int
    kind: ErrorKind
    reason: str


RetryEvent = RetryScheduled | RetryGaveUp


def describe_failure(error: Exception | None, value: Any) -> str:
    """A short description of a failed attempt: its exception, or its returned value."""
    if error is not None:
        return f"{type(error).__name__}: {error}"
    if isinstance(value, Result):
        return str(value.error)
    return f"rejected result {type(value).__name__}"
