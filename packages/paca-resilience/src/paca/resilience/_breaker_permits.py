"""The in-memory permit paths of ``CircuitBreaker``: ``async with`` and outcome recording.

A mixin of :class:`~paca.resilience._breaker.CircuitBreaker` (it declares the
attributes it uses). ``__aenter__`` and ``__aexit__`` are plain methods
returning already-resolved futures: the memory paths never wait, and skipping a
coroutine per call halves the overhead of ``async with``. The Redis paths they
hand over to are in :mod:`paca.resilience._breaker_remote`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from paca.resilience._breaker_events import CallRejected
from paca.resilience._breaker_machine import SLOW, SUCCESS
from paca.resilience._breaker_remote import RemoteBreakerCalls
from paca.resilience._errors import CircuitOpenError

if TYPE_CHECKING:
    import contextvars
    from collections.abc import Awaitable
    from types import TracebackType

    from paca.resilience._breaker_machine import BreakerMachine
    from paca.resilience._breaker_remote import Entry

__all__ = ["BreakerPermits"]

_B = TypeVar("_B", bound="BreakerPermits")


class BreakerPermits(RemoteBreakerCalls):
    """``async with`` and the recording of outcomes, in memory (a mixin)."""

    __slots__ = ("_entered", "_exited")

    _machine: BreakerMachine
    _calls: contextvars.ContextVar[Entry | None]
    _entered: asyncio.Future[Any] | None
    _exited: asyncio.Future[None] | None

    def __aenter__(self: _B) -> Awaitable[_B]:
        # Plain ``def`` returning an already-resolved future: the memory paths
        # never wait, and skipping a coroutine per call halves the overhead.
        machine = self._machine
        calls = self._calls
        if machine.fast:
            outer = calls.get()
            if outer is not None:  # nested in another ``async with`` of this breaker
                calls.set((machine.epoch, 0.0, "", outer))
            # else: nothing to remember; __aexit__ finds no entry (see there)
            return self._entered if self._entered is not None else self._make_ready()[0]
        if self._redis is not None:
            return self._enter_redis()
        now = self._now()
        epoch = machine.acquire(now)
        if epoch < 0:
            raise self._rejected(now)
        calls.set((epoch, now, "", calls.get()))
        return self._entered if self._entered is not None else self._make_ready()[0]

    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Awaitable[None]:
        # A call admitted on the closed fast path with no enclosing ``async with``
        # of this breaker pushed no entry, and every call nested inside it pushed
        # and popped its own, so "no entry" identifies it. Its epoch is unknown:
        # it is counted if the breaker is still closed and dropped otherwise.
        calls = self._calls
        entry = calls.get()
        if entry is None:
            machine = self._machine
            if exc is None:
                if not machine.noop and not machine.record_success(machine.epoch):
                    machine.record_current(SUCCESS, self._now())
            else:
                code = self._exc_code(exc)
                if code >= 0:
                    machine.record_current(code, self._now())
            return self._exited if self._exited is not None else self._make_ready()[1]
        epoch, start, token, outer = entry
        calls.set(outer)
        if self._redis is not None:
            return self._exit_redis(epoch, start, token, exc)
        if exc is None:
            if not self._machine.record_success(epoch):
                self._settle(epoch, SUCCESS, start)
        else:
            self._settle(epoch, self._exc_code(exc), start)
        return self._exited if self._exited is not None else self._make_ready()[1]

    def _make_ready(self) -> tuple[asyncio.Future[Any], asyncio.Future[None]]:
        loop = asyncio.get_running_loop()
        entered: asyncio.Future[Any] = loop.create_future()
        entered.set_result(self)
        exited: asyncio.Future[None] = loop.create_future()
        exited.set_result(None)
        # A resolved future never touches its loop again when awaited, so any
        # loop may await these two.
        self._entered, self._exited = entered, exited
        return entered, exited

    def _settle(self, epoch: int, code: int, start: float) -> None:
        machine = self._machine
        if code < 0:
            machine.release(epoch)
            return
        now = self._now()
        if self._slow is not None and now - start >= self._slow:
            code |= SLOW
        machine.record(epoch, code, now)

    def _rejected(self, now: float) -> CircuitOpenError:
        machine = self._machine
        retry_after = machine.retry_after(now)
        if self._listeners:
            self._listeners.emit(CallRejected(self.name, machine.state.value, retry_after))
        return CircuitOpenError(self.name, machine.state.value, retry_after=retry_after)
