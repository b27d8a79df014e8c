"""The events a :class:`~paca.resilience.RateLimiter` emits to its listeners.

Events are built only when someone listens (``if listeners:``), so they cost
nothing on the hot path otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "RateLimitHeadersAdopted",
    "RateLimitRejected",
    "RateLimitStoreFailed",
    "RateLimiterEvent",
]


@dataclass(frozen=True, slots=True)
class RateLimitRejected:
    """A request was not admitted.

    Attributes:
        limiter: The limiter's name.
        key: The key the request was charged to.
        cost: The units it asked for.
        retry_after: Seconds until it may be admitted (``None`` if unknown).
        reason: ``"limit"`` (budget spent), ``"blocked"`` (a server said to
            wait, see :meth:`RateLimiter.update_from_headers`), ``"timeout"``
            (``acquire`` gave up) or ``"store_unavailable"`` (Redis failed and
            the limiter fails closed).
    """

    limiter: str
    key: str
    cost: float
    retry_after: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class RateLimitStoreFailed:
    """The Redis store could not answer; the limiter admitted or rejected without it.

    Attributes:
        limiter: The limiter's name.
        key: The key of the decision that failed.
        operation: ``"acquire"`` or ``"block"``.
        failure_mode: ``"fail_open"`` (admitted) or ``"fail_closed"`` (rejected).
        admitted: Whether the request was let through.
        error: ``repr`` of the exception Redis raised (it is not kept).
    """

    limiter: str
    key: str
    operation: str
    failure_mode: str
    admitted: bool
    error: str


@dataclass(frozen=True, slots=True)
class RateLimitHeadersAdopted:
    """A server's rate-limit headers blocked a key.

    Attributes:
        limiter: The limiter's name.
        key: The key that is blocked.
        blocked_for: Seconds from now during which the key admits nothing.
        source: Which header decided it: ``"retry-after"``, ``"ratelimit"``
            (IETF draft fields) or ``"x-ratelimit"``.
    """

    limiter: str
    key: str
    blocked_for: float
    source: str


RateLimiterEvent: TypeAlias = RateLimitRejected | RateLimitStoreFailed | RateLimitHeadersAdopted
"""Any event of a rate limiter."""
