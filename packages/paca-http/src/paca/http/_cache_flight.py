"""Single-flight: concurrent calls with the same key share one execution.

The first caller (the leader) starts the work as its own task; everyone, leader included,
awaits it through :func:`asyncio.shield`. So cancelling the leader never strands the
others: the work goes on while anyone still waits, and is cancelled only when the last
waiter leaves. A failure reaches every waiter. Finished flights are forgotten at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

__all__ = ["SingleFlight"]

T = TypeVar("T")
_log = logging.getLogger("paca.http.cache")


def consume(task: asyncio.Task[Any]) -> None:
    """Retrieve a finished task's exception so asyncio never reports it as unretrieved."""
    if not task.cancelled() and task.exception() is not None:
        _log.debug("cache task failed", exc_info=task.exception())


@dataclass(slots=True)
class _Flight(Generic[T]):
    task: asyncio.Task[T]
    waiters: int = 0


class SingleFlight(Generic[T]):
    """Coalesce concurrent executions by key."""

    __slots__ = ("_flights",)

    def __init__(self) -> None:
        self._flights: dict[str, _Flight[T]] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._flights

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: str, work: Callable[[], Coroutine[Any, Any, T]]) -> tuple[T, bool]:
        """Run ``work()`` for ``key``, or join the run already in flight.

        Returns:
            The result, and whether this caller started the run (the leader).
        """
        flight = self._flights.get(key)
        leader = flight is None or flight.task.cancelled()
        if flight is None or leader:
            flight = _Flight(asyncio.ensure_future(work()))
            self._flights[key] = flight
            flight.task.add_done_callback(partial(self._land, key, flight))
        flight.waiters += 1
        try:
            result = await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            if flight.waiters == 1 and not flight.task.done():  # the last one waiting leaves
                flight.task.cancel()
                if self._flights.get(key) is flight:
                    del self._flights[key]
            raise
        finally:
            flight.waiters -= 1
        return result, leader

    def _land(self, key: str, flight: _Flight[T], task: asyncio.Task[T]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        consume(task)

    def tasks(self) -> list[asyncio.Task[T]]:
        """The runs in flight."""
        return [flight.task for flight in self._flights.values()]

    def clear(self) -> None:
        """Forget every flight (after cancelling them)."""
        self._flights.clear()
