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
are pre-built per ``remaining`` value (up to ``_TABLE`` of them).
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "bad_cost",
    "build_algorithm",
    "check_cost",
    "Decision",
    "FixedWindow",
    "Gcra",
    "SlidingWindow",
    "TokenBucket",
]

_TABLE = 4096  # pre-built admitted decisions per algorithm (remaining 0.._TABLE)
_EPS = 1e-9  # absorbs float noise when flooring a remaining count
_NEVER = float("-inf")


class Decision(NamedTuple):
    """The answer of a rate limiter to one request.

    Attributes:
        allowed: Whether the request was admitted (its cost was consumed).
        retry_after: Seconds after which the same request may be admitted;
            ``0.0`` when admitted; ``None`` when unknown (the Redis store
            failed closed).
        remaining: Whole units still available for this key right now.

    ``bool(decision)`` is ``decision.allowed``.
    """

    allowed: bool
    retry_after: float | None
    remaining: int

    def __bool__(self) -> bool:
        return self.allowed


#: ``_new(Decision, (allowed, retry_after, remaining))`` builds a Decision without the
#: Python-level ``__new__`` of a NamedTuple (three times faster on the hot path).
_new = tuple.__new__


def _admitted_table(capacity: float) -> tuple[Decision, ...]:
    size = min(int(capacity), _TABLE) + 1
    return tuple(Decision(True, 0.0, n) for n in range(size))


S = TypeVar("S")


class Algorithm(Protocol[S]):
    """What the limiter needs from an algorithm (``S`` is its per-key state)."""

    name: str
    capacity: float

    def new_state(self, now: float) -> S:
        """Return the state of a key never seen before (a full budget)."""
        ...

    def decide(self, state: S, now: float, cost: float) -> Decision:
        """Admit ``cost`` units at ``now`` if the budget allows, updating ``state``."""
        ...

    def refund(self, state: S, now: float, cost: float) -> None:
        """Give back ``cost`` units admitted earlier but not used."""
        ...

    def idle_at(self, state: S) -> float:
        """When ``state`` is back to a full budget (forgetting it then loses nothing)."""
        ...

    def block(self, state: S, until: float) -> None:
        """Admit nothing for this key before ``until``."""
        ...

    def clone(self, state: S) -> S:
        """Return an independent copy of ``state`` (for look-ahead without consuming)."""
        ...


class _Blockable:
    __slots__ = ("blocked",)

    def __init__(self) -> None:
        self.blocked = _NEVER


B = TypeVar("B", bound=_Blockable)


class _Base:
    __slots__ = ()

    def block(self, state: _Blockable, until: float) -> None:
        """Admit nothing for this key before ``until`` (a longer block stays)."""
        state.blocked = max(state.blocked, until)

    def clone(self, state: B) -> B:
        """Return an independent copy of ``state``."""
        return copy.copy(state)


def _blocked_decision(until: float, now: float) -> Decision:
    return _new(Decision, (False, until - now, 0))


# --- token bucket -----------------------------------------------------------------------------


class BucketState(_Blockable):
    """Per-key token bucket state: tokens left at ``last``."""

    __slots__ = ("last", "tokens")

    def __init__(self, tokens: float, last: float) -> None:
        super().__init__()
        self.tokens = tokens
        self.last = last


class TokenBucket(_Base):
    """A bucket of ``capacity`` tokens refilled at ``rate`` tokens per second.

    Args:
        rate: Tokens added per second (> 0).
        capacity: Bucket size, the largest burst (>= 1).
    """

    __slots__ = ("_admitted", "capacity", "name", "rate")

    def __init__(self, rate: float, capacity: float) -> None:
        self.name = "token_bucket"
        self.rate = rate
        self.capacity = capacity
        self._admitted = _admitted_table(capacity)

    def new_state(self, now: float) -> BucketState:
        """Return a full bucket."""
        return BucketState(self.capacity, now)

    def decide(self, state: BucketState, now: float, cost: float) -> Decision:
        """Take ``cost`` tokens if the bucket holds them."""
        if now < state.blocked:
            return _blocked_decision(state.blocked, now)
        tokens = state.tokens + (now - state.last) * self.rate
        if tokens > self.capacity:  # noqa: PLR1730 - hot path: faster than min()
            tokens = self.capacity
        state.last = now
        if tokens >= cost:
            tokens -= cost
            state.tokens = tokens
            left = int(tokens + _EPS)
            table = self._admitted
            return table[left] if left < len(table) else _new(Decision, (True, 0.0, left))
        state.tokens = tokens
        return _new(
            Decision, (False, (cost - tokens) / self.rate, int(tokens) if tokens > 0 else 0)
        )

    def refund(self, state: BucketState, now: float, cost: float) -> None:
        """Put ``cost`` tokens back (never above capacity)."""
        state.tokens = min(self.capacity, state.tokens + cost)

    def idle_at(self, state: BucketState) -> float:
        """When the bucket is full again."""
        return max(state.last + (self.capacity - state.tokens) / self.rate, state.blocked)


# --- GCRA -----------------------------------------------------------------------------------


class GcraState(_Blockable):
    """Per-key GCRA state: the theoretical arrival time ``tat``."""

    __slots__ = ("tat",)

    def __init__(self, tat: float) -> None:
        super().__init__()
        self.tat = tat


class Gcra(_Base):
    """The generic cell rate algorithm: a token bucket kept as one timestamp.

    Each unit of cost pushes the theoretical arrival time (TAT) by
    ``interval = 1 / rate``; a request is admitted when the new TAT is at most
    ``capacity * interval`` ahead of ``now``.

    Args:
        rate: Units per second (> 0).
        capacity: The largest burst (>= 1).
    """

    __slots__ = ("_admitted", "capacity", "interval", "name", "rate", "tolerance")

    def __init__(self, rate: float, capacity: float) -> None:
        self.name = "gcra"
        self.rate = rate
        self.capacity = capacity
        self.interval = 1.0 / rate
        self.tolerance = capacity * self.interval
        self._admitted = _admitted_table(capacity)

    def new_state(self, now: float) -> GcraState:
        """Return a state with the whole burst available."""
        return GcraState(now)

    def decide(self, state: GcraState, now: float, cost: float) -> Decision:
        """Admit ``cost`` units if the TAT stays within the burst tolerance."""
        if now < state.blocked:
            return _blocked_decision(state.blocked, now)
        tat = state.tat
        if tat < now:  # noqa: PLR1730 - hot path: faster than max()
            tat = now
        new_tat = tat + cost * self.interval
        allow_at = new_tat - self.tolerance
        if allow_at <= now:
            state.tat = new_tat
            left = int((now - allow_at) * self.rate + _EPS)
            table = self._admitted
            return table[left] if left < len(table) else _new(Decision, (True, 0.0, left))
        left = int((now + self.tolerance - tat) * self.rate + _EPS)
        return _new(Decision, (False, allow_at - now, left))

    def refund(self, state: GcraState, now: float, cost: float) -> None:
        """Pull the TAT back by ``cost`` units (never before ``now``)."""
        state.tat = max(now, state.tat - cost * self.interval)

    def idle_at(self, state: GcraState) -> float:
        """When the TAT is in the past (the whole burst is available)."""
        return max(state.tat, state.blocked)


# --- windows --------------------------------------------------------------------------------


class WindowState(_Blockable):
    """Per-key window state: the current window's start, its count, the previous count."""

    __slots__ = ("count", "previous", "start")

    def __init__(self, start: float) -> None:
        super().__init__()
        self.start = start
        self.count = 0.0
        self.previous = 0.0


class FixedWindow(_Base):
    """At most ``limit`` units per window of ``window`` seconds aligned on ``now = 0``.

    Args:
        limit: Units per window (whole number >= 1).
        window: Window length in seconds (> 0).
    """

    __slots__ = ("_admitted", "capacity", "name", "window")

    def __init__(self, limit: float, window: float) -> None:
        self.name = "fixed_window"
        self.capacity = limit
        self.window = window
        self._admitted = _admitted_table(limit)

    def _roll(self, state: WindowState, now: float) -> None:
        start = math.floor(now / self.window) * self.window
        if start != state.start:
            state.previous = state.count if start - state.start <= self.window * 1.5 else 0.0
            state.count = 0.0
            state.start = start

    def new_state(self, now: float) -> WindowState:
        """Return an empty window."""
        return WindowState(math.floor(now / self.window) * self.window)

    def decide(self, state: WindowState, now: float, cost: float) -> Decision:
        """Admit ``cost`` units if the current window has room."""
        if now < state.blocked:
            return _blocked_decision(state.blocked, now)
        if now - state.start >= self.window or now < state.start:
            self._roll(state, now)
        count = state.count + cost
        if count <= self.capacity:
            state.count = count
            left = int(self.capacity - count + _EPS)
            table = self._admitted
            return table[left] if left < len(table) else _new(Decision, (True, 0.0, left))
        room = self.capacity - state.count
        return _new(Decision, (False, state.start + self.window - now, int(room + _EPS)))

    def refund(self, state: WindowState, now: float, cost: float) -> None:
        """Give back ``cost`` units if still in the window that took them."""
        if state.start <= now < state.start + self.window:
            state.count = max(0.0, state.count - cost)

    def idle_at(self, state: WindowState) -> float:
        """When the window holding the last admission is over."""
        end = state.start + self.window if state.count > 0 else state.start
        return max(end, state.blocked)


class SlidingWindow(FixedWindow):
    """Sliding-window counter: the previous window's count, weighted by how much of it overlaps.

    The estimate is ``previous * (1 - elapsed / window) + current``; a request
    is admitted when the estimate plus its cost is at most ``limit``.

    Args:
        limit: Units per window (whole number >= 1).
        window: Window length in seconds (> 0).
    """

    __slots__ = ()

    def __init__(self, limit: float, window: float) -> None:
        super().__init__(limit, window)
        self.name = "sliding_window"

    def decide(self, state: WindowState, now: float, cost: float) -> Decision:
        """Admit ``cost`` units if the weighted estimate leaves room."""
        if now < state.blocked:
            return _blocked_decision(state.blocked, now)
        window = self.window
        if now - state.start >= window or now < state.start:
            self._roll(state, now)
        elapsed = now - state.start
        weighted = state.previous * (1.0 - elapsed / window)
        limit = self.capacity
        if weighted + state.count + cost <= limit:
            state.count += cost
            left = int(limit - weighted - state.count + _EPS)
            table = self._admitted
            return table[left] if left < len(table) else _new(Decision, (True, 0.0, left))
        room = limit - weighted - state.count
        wait = self._wait(state, elapsed, cost)
        return _new(Decision, (False, wait, int(room + _EPS) if room > 0 else 0))

    def _wait(self, state: WindowState, elapsed: float, cost: float) -> float:
        window, limit = self.window, self.capacity
        room = limit - state.count - cost
        if (
            room >= 0 and state.previous > 0
        ):  # the previous window's weight must decay enough, in this window
            return window * (1.0 - room / state.previous) - elapsed
        # Only in the next window: the current count becomes the weighted one.
        until_next = window - elapsed
        room = limit - cost
        if state.count <= 0:
            return until_next
        return until_next + max(0.0, window * (1.0 - room / state.count))

    def idle_at(self, state: WindowState) -> float:
        """When neither the current nor the previous window weighs anything."""
        if state.count > 0:
            end = state.start + 2 * self.window
        elif state.previous > 0:
            end = state.start + self.window
        else:
            end = state.start
        return max(end, state.blocked)


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
