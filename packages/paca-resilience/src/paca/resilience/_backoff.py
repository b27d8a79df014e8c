"""Backoff delays as pure functions: full jitter and decorrelated jitter.

Both follow the AWS Architecture Blog article "Exponential Backoff And
Jitter". They take the random source as an argument (a ``random.Random``),
so tests seed it and property tests check the bounds without any clock.

:func:`build_wait` adapts them (and tenacity's own exponential and none) to
tenacity ``wait`` strategies for ``RetryPolicy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tenacity
from tenacity.wait import wait_base

if TYPE_CHECKING:
    import random

__all__ = ["build_wait", "decorrelated_jitter", "exponential", "full_jitter"]

# 2.0 ** 1024 overflows; past this exponent every window is already capped.
_MAX_EXPONENT = 1000


def _check(base: float, cap: float) -> None:
    if not base >= 0:  # also rejects NaN
        msg = f"base must be >= 0, got {base!r}"
        raise ValueError(msg)
    if not cap >= 0:
        msg = f"cap must be >= 0, got {cap!r}"
        raise ValueError(msg)


def exponential(attempt: int, *, base: float, cap: float) -> float:
    """Return the capped exponential window ``min(cap, base * 2 ** (attempt - 1))``.

    Args:
        attempt: How many attempts have failed so far (1 for the first retry).
        base: The first window, in seconds.
        cap: The largest window, in seconds.

    Returns:
        The window in seconds, in ``[0, cap]``.

    Raises:
        ValueError: If ``attempt < 1`` or ``base``/``cap`` is negative.
    """
    if attempt < 1:
        msg = f"attempt must be >= 1, got {attempt!r}"
        raise ValueError(msg)
    _check(base, cap)
    return min(cap, base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))


def full_jitter(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: a uniform delay in ``[0, min(cap, base * 2 ** (attempt - 1))]``.

    Args:
        attempt: How many attempts have failed so far (1 for the first retry).
        base: The first window, in seconds.
        cap: The largest delay, in seconds.
        rng: The random source.

    Returns:
        The delay in seconds, in ``[0, cap]``.

    Raises:
        ValueError: If ``attempt < 1`` or ``base``/``cap`` is negative.
    """
    high = exponential(attempt, base=base, cap=cap)
    return min(high, rng.uniform(0.0, high))


def decorrelated_jitter(previous: float, *, base: float, cap: float, rng: random.Random) -> float:
    """Decorrelated jitter: ``min(cap, uniform(base, 3 * previous))``.

    Each delay grows from the previous one, so concurrent clients spread out
    without sharing a schedule.

    Args:
        previous: The previous delay in seconds (``0`` or ``base`` before
            the first retry).
        base: The smallest delay, in seconds.
        cap: The largest delay, in seconds.
        rng: The random source.

    Returns:
        The delay in seconds, in ``[min(base, cap), cap]``.

    Raises:
        ValueError: If ``base``, ``cap`` or ``previous`` is negative.
    """
    _check(base, cap)
    if not previous >= 0:
        msg = f"previous must be >= 0, got {previous!r}"
        raise ValueError(msg)
    high = max(base, 3.0 * min(previous, cap))
    delay = rng.uniform(base, high)
    # uniform() may round a hair outside [base, high]; clamp to the promise.
    return min(cap, max(base, min(high, delay)))


class _FullJitter(wait_base):
    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self.base, self.cap, self.rng = base, cap, rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        return full_jitter(retry_state.attempt_number, base=self.base, cap=self.cap, rng=self.rng)


class _DecorrelatedJitter(wait_base):
    # The previous delay is the call's own ``upcoming_sleep``: no shared state.
    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self.base, self.cap, self.rng = base, cap, rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        previous = retry_state.upcoming_sleep or self.base
        return decorrelated_jitter(previous, base=self.base, cap=self.cap, rng=self.rng)


def build_wait(backoff: str, base: float, cap: float, rng: random.Random) -> wait_base:
    """Return the tenacity wait strategy for a ``RetryPolicy`` ``backoff`` name."""
    if backoff == "full":
        return _FullJitter(base, cap, rng)
    if backoff == "decorrelated":
        return _DecorrelatedJitter(base, cap, rng)
    if backoff == "exponential":
        return tenacity.wait_exponential(multiplier=base, max=cap)
    if backoff == "none":
        return tenacity.wait_none()
    msg = f"backoff must be 'full', 'decorrelated', 'exponential' or 'none', got {backoff!r}"
    raise ValueError(msg)
