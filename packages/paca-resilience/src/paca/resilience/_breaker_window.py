"""The circuit breaker's sliding windows and the outcome codes they count.

Two windows share one small interface: ``add(code, now)``, ``counts(now)``, ``reset()`` and
the running ``total``/``failed``/``slow`` counters that
:class:`~paca.resilience._breaker_machine.BreakerMachine` reads. :class:`CountWindow` keeps the
last N outcomes, :class:`TimeWindow` the last N seconds. Both are sans-I/O: callers pass ``now``.

Outcome codes (``int``): bit 0 set = failure, bit 1 set = slow.
"""

from __future__ import annotations

import math

__all__ = ["FAILURE", "SLOW", "SUCCESS", "CountWindow", "TimeWindow"]

SUCCESS = 0
FAILURE = 1
SLOW = 2


class CountWindow:
    """The last ``size`` outcomes, as a preallocated ring with running counters."""

    __slots__ = ("failed", "pos", "ring", "size", "slow", "total")

    def __init__(self, size: int) -> None:
        self.size = size
        self.ring = bytearray(size)
        self.pos = 0
        self.total = 0
        self.failed = 0
        self.slow = 0

    def add(self, code: int, now: float) -> None:
        """Record one outcome, evicting the oldest when the ring is full."""
        pos = self.pos
        if self.total == self.size:
            old = self.ring[pos]
            if old:
                self.failed -= old & FAILURE
                self.slow -= (old & SLOW) >> 1
        else:
            self.total += 1
        self.ring[pos] = code
        if code:
            self.failed += code & FAILURE
            self.slow += (code & SLOW) >> 1
        pos += 1
        self.pos = 0 if pos == self.size else pos

    def counts(self, now: float) -> tuple[int, int, int]:
        """Return ``(calls, failed, slow)`` in the window."""
        return self.total, self.failed, self.slow

    def reset(self) -> None:
        """Forget every outcome."""
        self.ring = bytearray(self.size)
        self.pos = self.total = self.failed = self.slow = 0


class TimeWindow:
    """The outcomes of the last ``size`` seconds, as one bucket per whole second.

    Buckets live in preallocated lists indexed by ``second % size``; moving to
    a new second clears the buckets that fell out of the window (amortised
    O(1), at most ``size`` buckets however long the gap).
    """

    __slots__ = ("b_failed", "b_slow", "b_total", "failed", "head", "size", "slow", "total")

    def __init__(self, size: int) -> None:
        self.size = size
        self.b_total = [0] * size
        self.b_failed = [0] * size
        self.b_slow = [0] * size
        self.head: int | None = None
        self.total = self.failed = self.slow = 0

    def _advance(self, now: float) -> int:
        second = math.floor(now)
        head = self.head
        if head is None:
            self.head = second
        elif second > head:
            size = self.size
            for s in range(head + 1, head + 1 + min(second - head, size)):
                i = s % size
                self.total -= self.b_total[i]
                self.failed -= self.b_failed[i]
                self.slow -= self.b_slow[i]
                self.b_total[i] = self.b_failed[i] = self.b_slow[i] = 0
            self.head = second
        else:  # a clock that did not move on, or a late report: use the newest bucket
            second = head
        return second % self.size

    def add(self, code: int, now: float) -> None:
        """Record one outcome in the bucket of ``now``."""
        i = self._advance(now)
        self.b_total[i] += 1
        self.total += 1
        if code:
            failed, slow = code & FAILURE, (code & SLOW) >> 1
            self.b_failed[i] += failed
            self.b_slow[i] += slow
            self.failed += failed
            self.slow += slow

    def counts(self, now: float) -> tuple[int, int, int]:
        """Return ``(calls, failed, slow)`` in the window ending at ``now``."""
        self._advance(now)
        return self.total, self.failed, self.slow

    def reset(self) -> None:
        """Forget every outcome."""
        self.__init__(self.size)  # type: ignore[misc]
