"""Sans-I/O rate-limiting algorithms: token bucket, GCRA, sliding-window counter, fixed window.

Each algorithm is a small configuration object with a ``new_state(now)`` and a
``decide(state, now, cost) -> Decision`` that mutates the per-key state it is
given. Nothing here reads a clock, sleeps or does I/O: the caller passes
``now`` (monotonic seconds), so the same code runs under a real clock, a fake
clock in tests, or is mirrored by the Lua twins in ``_limiter_redis``.

Guarantees (``r = rate / per``, ``B = burst``, ``L = rate`` for the windows):

* token bucket and GCRA admit at most ``B + r * t`` units in any interval of
  length ``t`` (they are the same policy; GCRA keeps one float per key);
* fixed window admits at most ``L`` units per aligned window of ``per``
  seconds (up to ``2 L`` across a window boundary);
* sliding-window counter admits at most ``L`` units per aligned window, and
  also bounds ``previous * (1 - elapsed / per) + current`` by ``L`` (the
  approximation Cloudflare and nginx use for a sliding window).

The hot path allocates nothing when a call is admitted: admitted decisions
are pre-built per ``remaining`` value (up to ``TABLE`` of them), and ``admit``
decides without building a Decision at all.

The algorithms live in ``_limiter_buckets`` (token bucket, GCRA) and
``_limiter_windows`` (fixed and sliding window), their common parts in
``_limiter_core``; this module builds one from a limiter's configuration and
re-exports them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ._limiter_buckets import BucketState, Gcra, GcraState, TokenBucket
from ._limiter_core import Algorithm, Decision
from ._limiter_windows import FixedWindow, SlidingWindow, WindowState

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "BucketState",
    "Decision",
    "FixedWindow",
    "Gcra",
    "GcraState",
    "SlidingWindow",
    "TokenBucket",
    "WindowState",
    "bad_cost",
    "build_algorithm",
    "check_cost",
]


def positive(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise naming ``name`` unless it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{name} must be a number, got {type(value).__name__}"
        raise TypeError(msg)
    if not (value > 0 and math.isfinite(value)):
        msg = f"{name} must be a finite number > 0, got {value!r}"
        raise ValueError(msg)
    return float(value)


def bad_cost(cost: float, capacity: float) -> ValueError:
    """The error for a cost outside ``0 < cost <= capacity`` (it could never be admitted)."""
    return ValueError(f"cost must be > 0 and <= capacity ({capacity:g}), got {cost!r}")


def check_cost(cost: float, capacity: float) -> None:
    """Raise :func:`bad_cost` unless ``0 < cost <= capacity``."""
    if not 0 < cost <= capacity:
        raise bad_cost(cost, capacity)


def build_algorithm(rate: float, per: float, algorithm: str, burst: float | None) -> Algorithm[Any]:
    """Validate a limiter's configuration and build its algorithm.

    Raises:
        ValueError: A parameter is out of range; the message names it.
        TypeError: A parameter is not a number.
    """
    rate, per = positive("rate", rate), positive("per", per)
    if algorithm not in ALGORITHMS:
        msg = f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}"
        raise ValueError(msg)
    if algorithm in ("fixed_window", "sliding_window"):
        if burst is not None:
            msg = f"burst is not used by {algorithm!r} (its burst is rate); got {burst!r}"
            raise ValueError(msg)
        if rate != int(rate):
            msg = f"rate must be a whole number for {algorithm!r}, got {rate!r}"
            raise ValueError(msg)
        return ALGORITHMS[algorithm](rate, per)
    capacity = max(1.0, rate) if burst is None else positive("burst", burst)
    if capacity < 1:
        msg = f"burst must be at least 1, got {burst!r}"
        raise ValueError(msg)
    return ALGORITHMS[algorithm](rate / per, capacity)


ALGORITHMS: dict[str, Callable[[float, float], Algorithm[Any]]] = {
    "token_bucket": TokenBucket,
    "gcra": Gcra,
    "sliding_window": SlidingWindow,
    "fixed_window": FixedWindow,
}
