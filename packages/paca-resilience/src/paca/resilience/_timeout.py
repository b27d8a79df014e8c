"""``Timeout``: bound a call in time, and the helper the other components share.

With the real clock (the default) the limit runs on the event loop's own
monotonic time: :func:`asyncio.timeout` on Python 3.11+, a small
:func:`asyncio.wait_for` equivalent on 3.10. With any other
:class:`~paca.resilience.Clock` (a :class:`~paca.resilience.FakeClock` in
tests) the call is raced against ``clock.sleep(seconds)`` in a helper task,
so advancing the fake clock drives the timeout without real waiting.

Either way the call runs in the caller's task and is *cancelled* when time is
up, and the caller gets a ``TimeoutError``. A cancellation that comes from
outside still propagates as ``asyncio.CancelledError``.
"""

from __future__ import annotations

import asyncio
import collections
import math
import sys
from typing import TYPE_CHECKING, Any, TypeVar, cast

from paca.resilience._clock import Clock, MonotonicClock
from paca.resilience._execute import failure_result
from paca.result import Result

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["Timeout", "run_within"]

T = TypeVar("T")


def check_seconds(name: str, value: float | None, *, allow_none: bool = True) -> float | None:
    """Validate a duration parameter; raise ``ValueError`` naming it."""
    if value is None:
        if allow_none:
            return None
        msg = f"{name} must be a number of seconds, got None"
        raise ValueError(msg)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{name} must be a number of seconds, got {type(value).__name__}"
        raise TypeError(msg)
    if not value >= 0 or math.isinf(value):
        msg = f"{name} must be a finite number >= 0, got {value!r}"
        raise ValueError(msg)
    return float(value)


if sys.version_info >= (3, 11):

    async def _native(seconds: float, awaitable: Awaitable[T]) -> T:
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10 only

    async def _native(seconds: float, awaitable: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(awaitable, seconds)
        except asyncio.TimeoutError:  # a distinct class on 3.10
            raise TimeoutError from None


async def _raced(clock: Clock, seconds: float, awaitable: Awaitable[T]) -> T:
    task = asyncio.current_task()
    if task is None:  # pragma: no cover - always inside a task under asyncio
        return await awaitable
    state = {"fired": False, "done": False}

    def expire(timer: asyncio.Task[None]) -> None:
        if state["done"] or timer.cancelled() or timer.exception() is not None:
            return
        state["fired"] = True
        task.cancel()

    timer = asyncio.ensure_future(clock.sleep(seconds))
    timer.add_done_callback(expire)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if not state["fired"]:
            raise
        if sys.version_info >= (3, 11) and task.uncancel() > 0:
            raise  # also cancelled from outside: that wins
        message = f"timed out after {seconds:g}s"
        raise TimeoutError(message) from None
    finally:
        state["done"] = True
        timer.cancel()


_LIVE, _FIRED, _DONE = 0, 1, 2


class _Deadlines:
    """The deadlines of one ``Timeout`` on the loop's time, with one loop timer.

    Every call of a ``Timeout`` gets the same duration, so deadlines come in
    arrival order: a FIFO of ``[deadline, task, state]`` entries and a single
    ``loop.call_at`` timer for the oldest live one replace a timer per call
    (``asyncio.timeout`` schedules and cancels one each time). Finished
    entries are dropped from the front as calls leave.
    """

    __slots__ = ("_entries", "_loop", "_seconds", "_timer")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._entries: collections.deque[list[Any]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None

    def enter(self) -> list[Any]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first use, or a new event loop: start afresh
            self._loop, self._entries, self._timer = loop, collections.deque(), None
        entry: list[Any] = [loop.time() + self._seconds, asyncio.current_task(loop), _LIVE]
        self._entries.append(entry)
        if self._timer is None:
            self._timer = loop.call_at(entry[0], self._expire)
        return entry

    def leave(self, entry: list[Any]) -> bool:
        """Close ``entry``; return whether its expiry is the only pending cancellation."""
        state = entry[2]
        entry[2] = _DONE
        entries = self._entries
        while entries and entries[0][2] is not _LIVE:
            entries.popleft()
        if state is not _FIRED:
            return False
        if sys.version_info >= (3, 11):
            return bool(entry[1].uncancel() == 0)
        return True  # pragma: no cover - Python 3.10 has no uncancel()

    def _expire(self) -> None:
        self._timer = None
        loop = self._loop
        if loop is None:  # pragma: no cover - armed only after enter()
            return
        now = loop.time()
        entries = self._entries
        while entries:
            head = entries[0]
            if head[2] is not _LIVE:
                entries.popleft()
            elif head[0] > now:
                self._timer = loop.call_at(head[0], self._expire)
                return
            else:
                entries.popleft()
                head[2] = _FIRED
                head[1].cancel()


async def run_within(clock: Clock | None, seconds: float, awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` in this task, cancelling it after ``seconds``.

    Args:
        clock: ``None`` or a ``MonotonicClock`` for the loop's own time,
            any other clock (a ``FakeClock``) to race ``clock.sleep()``.
        seconds: The limit.
        awaitable: What to wait for (typically a coroutine).

    Returns:
        The awaited value.

    Raises:
        TimeoutError: When the limit passed first.
    """
    if clock is None or type(clock) is MonotonicClock:
        return await _native(seconds, awaitable)
    return await _raced(clock, seconds, awaitable)


class Timeout:
    """Cancel a call that takes longer than ``seconds``.

    Args:
        seconds: The limit; must be a finite number ``>= 0``.
        clock: The time source. The default (``None`` or a
            ``MonotonicClock``) uses the event loop's time through
            ``asyncio.timeout``; a ``FakeClock`` drives the timeout when it is
            advanced (see the module docstring).
        name: A label for reprs and events.

    Raises:
        ValueError: If ``seconds`` is negative, infinite or NaN.

    Example:
        >>> timeout = Timeout(2.5)
        >>> # value = await timeout.call(fetch, url)  # raises TimeoutError
        >>> # result = await timeout.execute(fetch, url)  # kind TIMEOUT
    """

    __slots__ = ("_clock", "_deadlines", "_message", "name", "seconds")

    def __init__(
        self, seconds: float, *, clock: Clock | None = None, name: str = "timeout"
    ) -> None:
        self.seconds: float = check_seconds("seconds", seconds, allow_none=False) or 0.0
        self._clock = None if type(clock) is MonotonicClock else clock
        self._deadlines = _Deadlines(self.seconds) if self._clock is None else None
        self._message = f"timed out after {self.seconds:g}s"
        self.name = name

    async def call(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)`` within the limit.

        Args:
            fn: The async function to bound in time.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            What ``fn`` returned before the limit passed.

        Raises:
            TimeoutError: When the limit passed; ``fn`` was cancelled.
        """
        deadlines = self._deadlines
        if deadlines is None:
            return await _raced(cast("Clock", self._clock), self.seconds, fn(*args, **kwargs))
        entry = deadlines.enter()
        try:
            value = await fn(*args, **kwargs)
        except BaseException as exc:
            if deadlines.leave(entry) and isinstance(exc, asyncio.CancelledError):
                raise TimeoutError(self._message) from None
            raise
        deadlines.leave(entry)
        return value

    async def execute(
        self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any
    ) -> Result[T]:
        """Like :meth:`call`, but return a ``Result`` instead of raising.

        Returns:
            ``Result.ok(value)``; a failure of kind ``TIMEOUT`` when the limit
            passed; the classified failure for any other exception.
            Cancellation from outside still propagates.
        """
        try:
            value = await self.call(fn, *args, **kwargs)
        except Exception as exc:
            return failure_result(exc, self.seconds)
        return Result.ok(value)

    def __repr__(self) -> str:
        return f"Timeout({self.seconds:g}s, name={self.name!r})"
