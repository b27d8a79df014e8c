"""The limiter algorithms' common parts: ``Decision``, the ``Algorithm`` protocol, base classes.

The algorithms themselves are in :mod:`paca.resilience._limiter_buckets` (token
bucket, GCRA) and :mod:`paca.resilience._limiter_windows` (fixed and sliding
window); :mod:`paca.resilience._limiter_algorithms` builds them from a limiter's
configuration.
"""

from __future__ import annotations

import copy
from typing import NamedTuple, Protocol, TypeVar

__all__ = [
    "EPS",
    "Algorithm",
    "Base",
    "Blockable",
    "Decision",
    "admitted_table",
    "blocked_decision",
    "new",
]

TABLE = 4096  # pre-built admitted decisions per algorithm (remaining 0..TABLE)
EPS = 1e-9  # absorbs float noise when flooring a remaining count
NEVER = float("-inf")


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


#: ``new(Decision, (allowed, retry_after, remaining))`` builds a Decision without the
#: Python-level ``__new__`` of a NamedTuple (three times faster on the hot path).
new = tuple.__new__


def admitted_table(capacity: float) -> tuple[Decision, ...]:
    size = min(int(capacity), TABLE) + 1
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

    def admit(self, state: S, now: float, cost: float) -> bool:
        """``decide(state, now, cost).allowed``, with the same effect on ``state``, no Decision."""
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


class Blockable:
    __slots__ = ("blocked",)

    def __init__(self) -> None:
        self.blocked = NEVER


B = TypeVar("B", bound=Blockable)


class Base:
    __slots__ = ()

    def block(self, state: Blockable, until: float) -> None:
        """Admit nothing for this key before ``until`` (a longer block stays)."""
        state.blocked = max(state.blocked, until)

    def clone(self, state: B) -> B:
        """Return an independent copy of ``state``."""
        return copy.copy(state)


def blocked_decision(until: float, now: float) -> Decision:
    return new(Decision, (False, until - now, 0))
