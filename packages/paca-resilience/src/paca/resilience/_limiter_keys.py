"""A ``RateLimiter``'s table of per-key states in memory, with bounded size.

A mixin of :class:`~paca.resilience._limiter.RateLimiter` (it declares the
attributes it reads): creating a key's state on first use, forgetting keys
when the table is full, and deciding, peeking and refunding on one key.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._limiter_core import Algorithm, Decision

__all__ = ["KeyTable"]


class KeyTable:
    """Per-key states of an in-memory limiter (a mixin)."""

    __slots__ = ()

    _algorithm: Algorithm[Any]
    _decide: Callable[[Any, float, float], Decision]
    _max_keys: int
    _now: Callable[[], float]
    _states: dict[str, Any]
    _waiting: dict[str, Any]

    def _state(self, key: str, now: float) -> Any:
        state = self._states.get(key)
        if state is None:
            if len(self._states) >= self._max_keys:
                self._evict(now)
            state = self._states[key] = self._algorithm.new_state(now)
        return state

    def _evict(self, now: float) -> None:
        """Forget refilled keys; if too few, the ones closest to a full budget (amortised O(1))."""
        states, waiting, idle_at = self._states, self._waiting, self._algorithm.idle_at
        for key in [k for k, s in states.items() if idle_at(s) <= now and k not in waiting]:
            del states[key]
        excess = len(states) - (self._max_keys - max(1, self._max_keys // 8))
        if excess > 0:
            candidates = ((idle_at(s), k) for k, s in states.items() if k not in waiting)
            for _, key in heapq.nsmallest(excess, candidates):
                del states[key]

    def _decide_key(self, key: str, cost: float) -> Decision:
        now = self._now()
        return self._decide(self._state(key, now), now, cost)

    def _peek_key(self, key: str, cost: float) -> Decision:
        now = self._now()
        state = self._states.get(key)
        state = self._algorithm.new_state(now) if state is None else self._algorithm.clone(state)
        return self._decide(state, now, cost)

    def _refund_key(self, key: str, cost: float) -> None:
        state = self._states.get(key)
        if state is not None:
            self._algorithm.refund(state, self._now(), cost)
