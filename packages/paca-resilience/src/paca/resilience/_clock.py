"""Time for every decision: the ``Clock`` protocol, ``MonotonicClock`` and ``FakeClock``.

No decision path in this package reads wall-clock time: components ask their
clock, so tests drive a 60-second breaker scenario in milliseconds with
:class:`FakeClock`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "MonotonicClock"]


@runtime_checkable
class Clock(Protocol):
    """A monotonic time source that can also sleep."""

    def now(self) -> float:
        """Return monotonic seconds; only differences are meaningful."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    __slots__ = ()

    now = staticmethod(time.monotonic)

    async def sleep(self, seconds: float) -> None:
        """Sleep with :func:`asyncio.sleep`."""
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "MonotonicClock()"


class FakeClock:
    """A clock that moves only when told to, for deterministic tests.

    ``sleep()`` parks the task until :meth:`advance` moves time past its
    deadline; sleepers wake in deadline order (ties in the order they went to
    sleep), and each woken task runs until it blocks again before the next
    deadline is reached, so chains of sleeps behave as they would in real time.

    Example:
        >>> clock = FakeClock()
        >>> clock.now()
        0.0
    """

    def __init__(self, start: float = 0.0, *, settle: int = 20) -> None:
        """Create a fake clock.

        Args:
            start: The initial reading.
            settle: How many event-loop turns :meth:`advance` lets woken tasks
                run before it moves on to the next deadline.
        """
        if settle < 1:
            msg = f"settle must be at least 1, got {settle!r}"
            raise ValueError(msg)
        self._now = float(start)
        self._settle = settle
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        """Return the current fake time."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Park until the clock is advanced past ``now() + seconds``."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), future))
        await future

    @property
    def sleepers(self) -> int:
        """How many tasks are sleeping on this clock now."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking sleepers on the way."""
        if seconds < 0:
            msg = f"cannot move a clock backwards (seconds={seconds!r})"
            raise ValueError(msg)
        target = self._now + seconds
        await self._run_ready()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self._now = max(self._now, deadline)
            future.set_result(None)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, same = heapq.heappop(self._sleepers)
                if not same.done():
                    same.set_result(None)
            await self._run_ready()
        self._now = target
        await self._run_ready()

    async def _run_ready(self) -> None:
        for _ in range(self._settle):
            await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r}, sleepers={self.sleepers})"
