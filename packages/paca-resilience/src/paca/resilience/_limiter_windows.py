"""Fixed window and sliding-window counter (sans-I/O, see ``_limiter_algorithms``)."""

from __future__ import annotations

import math

from ._limiter_core import EPS, Base, Blockable, Decision, admitted_table, blocked_decision, new

__all__ = ["FixedWindow", "SlidingWindow", "WindowState"]

# --- windows --------------------------------------------------------------------------------


class WindowState(Blockable):
    """Per-key window state: the current window's start, its count, the previous count."""

    __slots__ = ("count", "previous", "start")

    def __init__(self, start: float) -> None:
        super().__init__()
        self.start = start
        self.count = 0.0
        self.previous = 0.0


class FixedWindow(Base):
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
        self._admitted = admitted_table(limit)

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
            return blocked_decision(state.blocked, now)
        if now - state.start >= self.window or now < state.start:
            self._roll(state, now)
        count = state.count + cost
        if count <= self.capacity:
            state.count = count
            left = int(self.capacity - count + EPS)
            table = self._admitted
            return table[left] if left < len(table) else new(Decision, (True, 0.0, left))
        room = self.capacity - state.count
        return new(Decision, (False, state.start + self.window - now, int(room + EPS)))

    def admit(self, state: WindowState, now: float, cost: float) -> bool:
        """Like :meth:`decide`, returning only ``allowed`` (no Decision is built)."""
        if now < state.blocked:
            return False
        if now - state.start >= self.window or now < state.start:
            self._roll(state, now)
        count = state.count + cost
        if count <= self.capacity:
            state.count = count
            return True
        return False

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
            return blocked_decision(state.blocked, now)
        window = self.window
        if now - state.start >= window or now < state.start:
            self._roll(state, now)
        elapsed = now - state.start
        weighted = state.previous * (1.0 - elapsed / window)
        limit = self.capacity
        if weighted + state.count + cost <= limit:
            state.count += cost
            left = int(limit - weighted - state.count + EPS)
            table = self._admitted
            return table[left] if left < len(table) else new(Decision, (True, 0.0, left))
        room = limit - weighted - state.count
        wait = self._wait(state, elapsed, cost)
        return new(Decision, (False, wait, int(room + EPS) if room > 0 else 0))

    def admit(self, state: WindowState, now: float, cost: float) -> bool:
        """Like :meth:`decide`, returning only ``allowed`` (no Decision is built)."""
        if now < state.blocked:
            return False
        window = self.window
        if now - state.start >= window or now < state.start:
            self._roll(state, now)
        weighted = state.previous * (1.0 - (now - state.start) / window)
        if weighted + state.count + cost <= self.capacity:
            state.count += cost
            return True
        return False

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
