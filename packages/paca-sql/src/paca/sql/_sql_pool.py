"""The connection pool of one connector, over any :class:`~paca.sql._backend.Backend`.

A LIFO stack of idle connections (the warmest is reused first), a FIFO of
waiters served by direct hand-off, and these rules:

- a connection lives ``max_lifetime`` minus a random jitter share, so a pool
  does not reconnect all at once; one idle longer than ``idle_timeout`` is
  closed (down to ``min_size``); one idle longer than ``liveness_after`` is
  pinged before reuse, and replaced if dead;
- opening a connection runs in its own task: a caller cancelled while it
  opens leaves the new connection to the pool instead of leaking it;
- a connection whose statement was interrupted (cancellation, timeout) is
  *abandoned*: terminated at once (the server rolls back), or for SQLite
  rolled back in the background; it never goes back dirty;
- release is synchronous and free when the session is clean; a statement
  that may have changed session state (see ``Translation.touches_session``)
  gets a reset (or a fresh connection) before the next user; a pipelined
  (SQLite) statement only borrows the top connection (:meth:`SQLPool.lend`).

The lifetime and idle rules are pure functions in :mod:`paca.sql._pool_slot`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections import deque
from typing import TYPE_CHECKING, Any

from paca.sql._pool_slot import Slot, deadline, sweep
from paca.sql._pool_stats import WaitSamples, snapshot
from paca.sql._sql_errors import PoolTimeoutError
from paca.sql._sql_events import PoolAcquired, PoolReleased

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from paca.resilience import Clock
    from paca.sql._backend import Backend
    from paca.sql._config import SQLConfig
    from paca.sql._pool_stats import PoolStats
    from paca.sql._sql_events import SQLListeners

__all__ = ["SQLPool", "Slot"]

_log = logging.getLogger("paca.sql")


class SQLPool:
    """The pool; see the module docstring."""

    def __init__(
        self,
        backend: Backend,
        config: SQLConfig,
        clock: Clock,
        listeners: SQLListeners,
        rng: random.Random | None = None,
    ) -> None:
        self._backend = backend
        self._is_closed = backend.is_closed
        self._config = config
        self._clock = clock
        self._listeners = listeners
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self._max = config.effective_max_size
        self._min = min(config.min_size, self._max)
        self._lifetime = None if config.is_memory else config.effective_lifetime
        self._idle_timeout = None if config.is_memory else config.idle_timeout
        self._liveness = config.liveness_after
        self._idle: deque[Slot] = deque()
        self._waiters: deque[asyncio.Future[Slot | None]] = deque()
        self._background: set[asyncio.Task[Any]] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._size = 0
        self._in_use = 0
        self._closing = False
        self.opened = self.closed = self.lost = self.acquisitions = self.reused = 0
        self._waits = WaitSamples()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> Any:
        """Open the first connections (at least one, to fail fast); return one for probing."""
        slot = await self.acquire()
        try:
            extra = [await self.acquire() for _ in range(self._min - 1)]
        except BaseException:
            self.release(slot)
            raise
        for other in extra:
            self.release(other)
        interval = min(v for v in (self._idle_timeout, self._lifetime, 120.0) if v is not None)
        if self._idle_timeout is not None or self._lifetime is not None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap(interval / 2))
        return slot

    async def close(self) -> None:
        """Close idle connections now and in-use ones as they come back."""
        self._closing = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("the connector was disconnected"))
        idle, self._idle = list(self._idle), deque()
        self._size -= len(idle)
        self.closed += len(idle)
        await asyncio.gather(*(self._close_quietly(s.conn) for s in idle))
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- acquire -----------------------------------------------------------------------------

    def lend(self) -> Slot | None:
        """The idle connection on top if ready now, left in the pool (pipelined use); or ``None``.

        ``None`` (use :meth:`acquire`) when no connection is idle, the most recent
        one is expired, closed or due for a liveness ping, the pool is closing, or
        someone listens for pool events.
        """
        idle = self._idle
        if not idle or self._closing or self._listeners.active:
            return None
        slot = idle[-1]
        now = self._clock.now()
        if (
            (slot.expires is not None and now >= slot.expires)
            or now - slot.last_used >= self._liveness
            or self._is_closed(slot.conn)
        ):
            return None
        self.acquisitions += 1
        self.reused += 1
        self._waits.add(0.0)
        slot.acquired_at = slot.last_used = now
        return slot

    def try_acquire(self) -> Slot | None:
        """The no-wait path of :meth:`acquire`: what :meth:`lend` finds, taken out of the pool."""
        slot = self.lend()
        if slot is not None:
            self._idle.pop()
            self._in_use += 1
        return slot

    async def acquire(self) -> Slot:
        """Hand out a connection, reusing, opening, or waiting for one.

        Raises:
            PoolTimeoutError: No connection within ``acquire_timeout``.
            ConnectionError: The pool is closed.
            Exception: The driver's error when opening a connection fails.
        """
        if self._closing:
            msg = "the connector is disconnected"
            raise ConnectionError(msg)
        now = self._clock.now()
        idle = self._idle
        while idle:
            slot = idle.pop()
            if slot.expires is not None and now >= slot.expires:
                self._drop(slot, lost=False)
                continue
            if self._is_closed(slot.conn):
                self._drop(slot, lost=True, hard=True)
                continue
            if now - slot.last_used >= self._liveness and not await self._alive(slot):
                continue
            self._in_use += 1
            self.acquisitions += 1
            self.reused += 1
            self._waits.add(0.0)
            slot.acquired_at = now
            if self._listeners.active:
                self._emit_acquired(0.0, reused=True)
            return slot
        if self._size < self._max:
            self._size += 1
            return await self._open(now)
        return await self._wait(now)

    async def _alive(self, slot: Slot) -> bool:
        try:
            await asyncio.wait_for(self._backend.ping(slot.conn), self._config.connect_timeout)
        except (asyncio.CancelledError, Exception) as exc:
            self._size -= 1
            self.lost += 1
            self._terminate(slot.conn)
            self._wake_for_capacity()
            if isinstance(exc, asyncio.CancelledError):
                raise
            return False
        return True

    async def _open(self, start: float) -> Slot:
        task = asyncio.get_running_loop().create_task(self._open_connection())
        try:
            slot = await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(self._adopt)  # the new connection joins the pool
            raise
        self._in_use += 1
        self.acquisitions += 1
        wait = self._clock.now() - start
        self._waits.add(wait)
        if self._listeners.active:
            self._emit_acquired(wait, reused=False)
        return slot

    async def _open_connection(self) -> Slot:
        try:
            conn = await asyncio.wait_for(self._backend.open(), self._config.connect_timeout)
        except BaseException:
            self._size -= 1
            self._wake_for_capacity()
            raise
        self.opened += 1
        now = self._clock.now()
        jitter = self._config.lifetime_jitter
        return Slot(conn, now, deadline(now, self._lifetime, jitter, self._rng))

    def _adopt(self, task: asyncio.Task[Slot]) -> None:
        if task.cancelled() or task.exception() is not None:
            return
        self._in_use += 1
        self.release(task.result())

    async def _wait(self, start: float) -> Slot:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Slot | None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self._config.acquire_timeout, _expire, waiter)
        try:
            got = await waiter
        except asyncio.CancelledError:
            if not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()  # handed over just before the cancellation
                if handed is None:
                    self._size -= 1
                    self._wake_for_capacity()
                else:
                    self._in_use += 1
                    self.release(handed)
            raise
        finally:
            timer.cancel()
        if got is None:  # a place was freed: open a new connection in it
            return await self._open(start)
        self._in_use += 1
        self.acquisitions += 1
        self.reused += 1
        wait = self._clock.now() - start
        self._waits.add(wait)
        got.acquired_at = start + wait
        if self._listeners.active:
            self._emit_acquired(wait, reused=True)
        return got

    # -- release -----------------------------------------------------------------------------

    def release(self, slot: Slot) -> None:
        """Take back a clean connection (synchronous, no I/O)."""
        self._in_use -= 1
        now = self._clock.now()
        if self._closing or (slot.expires is not None and now >= slot.expires):
            self._drop(slot, lost=False)
            self._released(slot, now, discarded=True)
            return
        slot.last_used = now
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(slot)
                self._released(slot, now, discarded=False)
                return
        self._idle.append(slot)
        if self._listeners.active:
            self._released(slot, now, discarded=False)

    async def release_after(self, slot: Slot) -> None:
        """Take back a connection whose session may hold state: reset it first."""
        try:
            ok = await self._backend.reset(slot.conn)
        except asyncio.CancelledError:
            self.discard(slot)
            raise
        except Exception:
            ok = False
        if ok:
            slot.dirty = False
            self.release(slot)
        else:
            self.discard(slot, lost=False)

    def discard(self, slot: Slot, *, lost: bool = True) -> None:
        """Close a connection that must not be reused (lost, or in an unknown state)."""
        self._in_use -= 1
        self._drop(slot, lost=lost, hard=True)
        if lost:  # its siblings may be dead too (server restart): check them before reuse
            for other in self._idle:
                other.last_used = -math.inf
        self._released(slot, self._clock.now(), discarded=True)

    def abandon(self, slot: Slot) -> None:
        """Give up a connection interrupted mid-statement; never awaits."""
        if not self._backend.reuse_after_cancel:
            self.discard(slot)
            return
        self._track(self._recover(slot))

    async def _recover(self, slot: Slot) -> None:
        try:
            ok = await self._backend.recover(slot.conn)
        except Exception:
            ok = False
        if ok:
            self.release(slot)
        else:
            self.discard(slot)

    def _drop(self, slot: Slot, *, lost: bool, hard: bool = False) -> None:
        self._size -= 1
        if lost:
            self.lost += 1
        else:
            self.closed += 1
        if hard:
            self._terminate(slot.conn)
        else:
            self._track(self._close_quietly(slot.conn))
        self._wake_for_capacity()

    def _terminate(self, conn: Any) -> None:
        try:
            pending = self._backend.terminate(conn)
        except Exception:
            _log.debug("terminating a connection failed", exc_info=True)
            return
        if pending is not None:
            self._track(pending)

    def _track(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _close_quietly(self, conn: Any) -> None:
        try:
            await asyncio.wait_for(self._backend.close(conn), self._config.connect_timeout)
        except Exception:
            self._terminate(conn)

    def _wake_for_capacity(self) -> None:
        waiters = self._waiters
        while waiters and self._size < self._max and not self._closing:
            waiter = waiters.popleft()
            if not waiter.done():
                self._size += 1
                waiter.set_result(None)

    async def _reap(self, interval: float) -> None:
        while True:
            await self._clock.sleep(max(interval, 0.5))
            now, size = self._clock.now(), self._size
            self._idle, retired = sweep(self._idle, now, self._idle_timeout, self._min, size)
            for slot in retired:
                self._drop(slot, lost=False)

    # -- events and stats --------------------------------------------------------------------

    def _emit_acquired(self, wait: float, *, reused: bool) -> None:
        event = PoolAcquired(self._backend.dialect, wait, reused, self._in_use, self._size)
        self._listeners.emit(event)

    def _released(self, slot: Slot, now: float, *, discarded: bool) -> None:
        if self._listeners.active:
            held = now - slot.acquired_at
            event = PoolReleased(self._backend.dialect, held, discarded, self._in_use, self._size)
            self._listeners.emit(event)

    def stats(self, queries: int, errors: dict[str, int]) -> PoolStats:
        """A snapshot of the pool and the given query counters."""
        return snapshot(self, queries, errors)


def _expire(waiter: asyncio.Future[Slot | None]) -> None:
    if not waiter.done():
        waiter.set_exception(PoolTimeoutError("no connection became free in time"))
