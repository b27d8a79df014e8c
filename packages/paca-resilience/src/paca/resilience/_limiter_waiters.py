"""FIFO waiting for an in-memory limiter: one queue and one timer per waiting key.

Waiters for a key form a deque. A single pump task per key looks only at the
head: if the budget admits the head it is woken (exactly one waiter per
admission) and the pump moves to the next; otherwise the pump sleeps on the
clock for the head's ``retry_after``. A release therefore costs O(1) however
many tasks wait.

A waiter that times out or is cancelled marks itself done and stays in the
deque until it reaches the head, where the pump drops it (O(1)); if it was the
head, the pump is restarted so the next waiter is considered at once. A waiter
cancelled after it was admitted but before it resumed gives its cost back
(``refund``), so leaving never leaks budget.
"""

from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING

from ._limiter_algorithms import Decision

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._clock import Clock

__all__ = ["WaiterQueues"]

_MIN_SLEEP = 1e-6  # never re-check sooner: float noise must not spin the pump


class _Waiter:
    __slots__ = ("cost", "future")

    def __init__(self, cost: float, future: asyncio.Future[Decision]) -> None:
        self.cost = cost
        self.future = future


class _Queue:
    __slots__ = ("pump", "waiters")

    def __init__(self) -> None:
        self.waiters: collections.deque[_Waiter] = collections.deque()
        self.pump: asyncio.Task[None] | None = None


class WaiterQueues:
    """The per-key FIFO queues of one limiter.

    Args:
        clock: The clock to sleep on.
        decide: ``decide(key, cost)`` takes budget now or says how long to wait.
        refund: ``refund(key, cost)`` gives back budget a waiter took but left.
        peek: ``peek(key, cost)`` says what ``decide`` would answer, consuming nothing.
    """

    __slots__ = ("_clock", "_decide", "_peek", "_refund", "by_key")

    def __init__(
        self,
        clock: Clock,
        decide: Callable[[str, float], Decision],
        refund: Callable[[str, float], None],
        peek: Callable[[str, float], Decision],
    ) -> None:
        self._clock = clock
        self._decide = decide
        self._refund = refund
        self._peek = peek
        self.by_key: dict[str, _Queue] = {}

    def __bool__(self) -> bool:
        return bool(self.by_key)

    def __contains__(self, key: str) -> bool:
        return key in self.by_key

    def waiting(self, key: str) -> int:
        """How many waiters (including ones that already left) sit in ``key``'s queue."""
        queue = self.by_key.get(key)
        return 0 if queue is None else len(queue.waiters)

    async def wait(self, key: str, cost: float, timeout: float | None) -> Decision:
        """Queue behind the key's waiters until admitted or ``timeout`` passes.

        Returns:
            The admitting decision, or, on timeout, a denied decision whose
            ``retry_after`` is what the budget alone would need (a lower bound
            once other waiters are queued).
        """
        queue = self.by_key.get(key)
        if queue is None:
            queue = self.by_key[key] = _Queue()
        waiter = _Waiter(cost, asyncio.get_running_loop().create_future())
        queue.waiters.append(waiter)
        if queue.pump is None:
            self._start_pump(key, queue)
        timer = None
        if timeout is not None:
            timer = asyncio.ensure_future(self._expire(key, waiter, timeout))
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                decision = waiter.future.result()
                if decision.allowed:  # admitted, but the caller is gone: give it back
                    self._refund(key, cost)
            else:
                waiter.future.cancel()
                self._left(key, waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    async def _expire(self, key: str, waiter: _Waiter, timeout: float) -> None:
        await self._clock.sleep(timeout)
        if not waiter.future.done():
            denied = self._peek(key, waiter.cost)
            waiter.future.set_result(Decision(False, denied.retry_after, denied.remaining))
            self._left(key, waiter)

    def _left(self, key: str, waiter: _Waiter) -> None:
        queue = self.by_key.get(key)
        if queue is None or not queue.waiters or queue.waiters[0] is not waiter:
            return  # not the head: the pump drops it when it gets there
        queue.waiters.popleft()
        if queue.pump is not None:
            queue.pump.cancel()
        self._start_pump(key, queue)

    def _start_pump(self, key: str, queue: _Queue) -> None:
        queue.pump = asyncio.ensure_future(self._pump(key, queue))

    async def _pump(self, key: str, queue: _Queue) -> None:
        waiters = queue.waiters
        try:
            while waiters:
                head = waiters[0]
                if head.future.done():
                    waiters.popleft()
                    continue
                decision = self._decide(key, head.cost)
                if decision.allowed:
                    waiters.popleft()
                    head.future.set_result(decision)
                    continue
                delay = decision.retry_after
                await self._clock.sleep(
                    _MIN_SLEEP if delay is None or delay < _MIN_SLEEP else delay
                )
        finally:
            current = asyncio.current_task()
            if queue.pump is current:
                queue.pump = None
                if not waiters and self.by_key.get(key) is queue:
                    del self.by_key[key]
