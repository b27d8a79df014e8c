"""``PoolStats``: a snapshot of a connector's pool and query counters."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from paca.sql._sql_pool import SQLPool

__all__ = ["PoolStats", "WaitSamples", "snapshot"]


@dataclass(frozen=True, slots=True)
class PoolStats:
    """What ``db.stats()`` returns.

    Attributes:
        dialect: The connector's dialect.
        size: Connections open (in use and idle).
        in_use: Connections handed out.
        idle: Connections waiting in the pool.
        waiters: Calls waiting for a connection.
        min_size: The configured minimum.
        max_size: The configured maximum.
        acquire_wait_p95: The 95th percentile of the wait for a connection,
            in seconds, over the last 1,024 acquisitions.
        opened: Connections opened since ``connect()``.
        closed: Connections closed on purpose (expired, idle, disconnect).
        lost: Connections found dead or abandoned (lost, cancelled mid-use).
        acquisitions: Connections handed out.
        efficiency: The share of acquisitions served by reusing a connection.
        queries: Statements run.
        errors: Failed calls by :class:`~paca.result.ErrorKind` value.
    """

    dialect: str
    size: int
    in_use: int
    idle: int
    waiters: int
    min_size: int
    max_size: int
    acquire_wait_p95: float
    opened: int
    closed: int
    lost: int
    acquisitions: int
    efficiency: float
    queries: int
    errors: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


class WaitSamples:
    """The last ``size`` acquisition waits, for the p95."""

    __slots__ = ("_samples", "add")

    def __init__(self, size: int = 1024) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self.add: Callable[[float], None] = self._samples.append
        """Record one wait (the deque's own ``append``: no Python frame per acquisition)."""

    def p95(self) -> float:
        """The 95th percentile (nearest rank), 0.0 when empty."""
        if not self._samples:
            return 0.0
        ordered = sorted(self._samples)
        rank = max(0, int(len(ordered) * 0.95 + 0.5) - 1)
        return ordered[min(rank, len(ordered) - 1)]


def snapshot(pool: SQLPool, queries: int, errors: Mapping[str, int]) -> PoolStats:
    """A :class:`PoolStats` of ``pool`` now, with the connector's query counters."""
    acquisitions = pool.acquisitions
    return PoolStats(
        dialect=pool._backend.dialect,
        size=pool._size,
        in_use=pool._in_use,
        idle=len(pool._idle),
        waiters=sum(1 for w in pool._waiters if not w.done()),
        min_size=pool._min,
        max_size=pool._max,
        acquire_wait_p95=pool._waits.p95(),
        opened=pool.opened,
        closed=pool.closed,
        lost=pool.lost,
        acquisitions=acquisitions,
        efficiency=pool.reused / acquisitions if acquisitions else 0.0,
        queries=queries,
        errors=MappingProxyType(dict(errors)),
    )
