"""``Bulkhead``: cap how many calls run at once, with a bounded FIFO queue.

A bulkhead keeps one slow dependency from taking every task, connection or
socket of the process: at most ``max_concurrent`` calls run; up to
``max_queue`` more wait their turn in arrival order (for at most
``max_wait`` seconds); any other call is rejected at once with
:class:`~paca.resilience.BulkheadFullError`.

A released slot is handed straight to the oldest waiter, so a newcomer can
never overtake the queue. A waiter that is cancelled (or whose wait runs out)
leaves the queue cleanly; if the slot had just been handed to it, the slot
goes on to the next waiter.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from paca.resilience._errors import BulkheadFullError
from paca.resilience._execute import failure_result, value_result
from paca.resilience._listeners import Listeners
from paca.resilience._timeout import check_seconds, run_within

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    from paca.resilience._clock import Clock
    from paca.result import Result

__all__ = ["Bulkhead", "BulkheadRejected", "BulkheadStats"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BulkheadStats:
    """A snapshot of a bulkhead.

    Attributes:
        active: Calls holding a slot now.
        queued: Calls waiting for a slot now.
        rejected: Calls rejected since the bulkhead was created.
    """

    active: int
    queued: int
    rejected: int


@dataclass(frozen=True, slots=True)
class BulkheadRejected:
    """Event: a bulkhead rejected a call.

    Attributes:
        name: The bulkhead's name.
        reason: ``"queue_full"`` (no slot and no queue place) or
            ``"max_wait"`` (the wait in the queue ran out).
        active: Calls holding a slot at that moment.
        queued: Calls waiting at that moment.
    """

    name: str
    reason: str
    active: int
    queued: int


class Bulkhead:
    """Limit concurrent calls; queue a few more in FIFO order; reject the rest.

    Args:
        max_concurrent: Calls allowed to run at once (``>= 1``).
        max_queue: Calls allowed to wait for a slot (``>= 0``; ``0`` rejects
            as soon as every slot is taken).
        max_wait: The longest a call waits in the queue, in seconds
            (``None``: as long as it takes; ``0`` behaves like no queue).
        clock: Drives ``max_wait`` (default: the event loop's time; pass
            the ``FakeClock`` of a test).
        name: A label for events and reprs.

    Raises:
        ValueError: If a parameter is out of range; the message names it.

    Example:
        >>> bulkhead = Bulkhead(10, max_queue=100, max_wait=1.0)
        >>> # async with bulkhead: ...
        >>> # value = await bulkhead.call(fetch, url)
    """

    __slots__ = (
        "_active",
        "_clock",
        "_listeners",
        "_rejected",
        "_waiters",
        "max_concurrent",
        "max_queue",
        "max_wait",
        "name",
    )

    def __init__(
        self,
        max_concurrent: int,
        max_queue: int = 0,
        max_wait: float | None = None,
        *,
        clock: Clock | None = None,
        name: str = "bulkhead",
    ) -> None:
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
            msg = f"max_concurrent must be an int, got {type(max_concurrent).__name__}"
            raise TypeError(msg)
        if max_concurrent < 1:
            msg = f"max_concurrent must be >= 1, got {max_concurrent!r}"
            raise ValueError(msg)
        if isinstance(max_queue, bool) or not isinstance(max_queue, int):
            msg = f"max_queue must be an int, got {type(max_queue).__name__}"
            raise TypeError(msg)
        if max_queue < 0:
            msg = f"max_queue must be >= 0, got {max_queue!r}"
            raise ValueError(msg)
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self.max_wait = check_seconds("max_wait", max_wait)
        self.name = name
        self._clock = clock
        self._active = 0
        self._rejected = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._listeners: Listeners[BulkheadRejected] = Listeners()

    # -- observation ---------------------------------------------------------

    @property
    def active(self) -> int:
        """Calls holding a slot now."""
        return self._active

    @property
    def queued(self) -> int:
        """Calls waiting for a slot now."""
        return len(self._waiters)

    @property
    def rejected(self) -> int:
        """Calls rejected so far."""
        return self._rejected

    @property
    def stats(self) -> BulkheadStats:
        """A snapshot of ``active``, ``queued`` and ``rejected``."""
        return BulkheadStats(self._active, len(self._waiters), self._rejected)

    def add_listener(self, listener: Callable[[BulkheadRejected], object]) -> Callable[[], None]:
        """Call ``listener`` with a :class:`BulkheadRejected` on every rejection.

        A listener that raises is logged and ignored.

        Returns:
            A function that removes the listener.
        """
        return self._listeners.add(listener)

    # -- slots ---------------------------------------------------------------

    def try_acquire(self) -> bool:
        """Take a free slot without waiting, if one is free and nobody queues.

        Returns:
            ``True`` if a slot was taken (give it back with :meth:`release`).
        """
        if self._active < self.max_concurrent and not self._waiters:
            self._active += 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue if allowed.

        Raises:
            BulkheadFullError: No slot and no queue place, or ``max_wait``
                passed while queued.
        """
        if self._active < self.max_concurrent and not self._waiters:
            self._active += 1
            return
        if len(self._waiters) >= self.max_queue or self.max_wait == 0:
            raise self._reject("queue_full")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            if self.max_wait is None:
                await waiter
            else:
                await run_within(self._clock, self.max_wait, waiter)
        except BaseException as exc:
            self._leave(waiter)
            if isinstance(exc, TimeoutError):
                raise self._reject("max_wait") from None
            raise
        # The slot was handed over by release(): _active already counts it.

    def release(self) -> None:
        """Give a slot back, handing it to the oldest waiter if there is one."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves on; _active unchanged
                return
        if self._active > 0:
            self._active -= 1

    def _leave(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done() and not waiter.cancelled():
            # We were handed the slot but will not use it: pass it on.
            self.release()
            return
        waiter.cancel()
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)

    def _reject(self, reason: str) -> BulkheadFullError:
        self._rejected += 1
        if self._listeners:
            self._listeners.emit(
                BulkheadRejected(self.name, reason, self._active, len(self._waiters))
            )
        message = f"bulkhead {self.name!r} is full ({reason.replace('_', ' ')})"
        return BulkheadFullError(message)

    async def __aenter__(self) -> Bulkhead:
        if not self.try_acquire():
            await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    # -- calls ---------------------------------------------------------------

    async def call(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` in a slot.

        Args:
            fn: The async function to run once a slot is free.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            What ``fn`` returned; the slot is released either way.

        Raises:
            BulkheadFullError: When the call was rejected (``fn`` did not run).
        """
        if not self.try_acquire():
            await self.acquire()
        try:
            return await fn(*args, **kwargs)
        finally:
            self.release()

    async def execute(
        self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any
    ) -> Result[T]:
        """Like :meth:`call`, but return a ``Result`` instead of raising.

        Returns:
            ``Result.ok(value)`` (or ``fn``'s own ``Result``); a failure of
            kind ``UNAVAILABLE`` when rejected; the classified failure for any
            other exception. Cancellation propagates.
        """
        try:
            value = await self.call(fn, *args, **kwargs)
        except Exception as exc:
            return failure_result(exc)
        return value_result(value)

    def __repr__(self) -> str:
        return (
            f"Bulkhead(name={self.name!r}, active={self._active}/{self.max_concurrent}, "
            f"queued={len(self._waiters)}/{self.max_queue}, rejected={self._rejected})"
        )
