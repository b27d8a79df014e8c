"""One pooled connection's bookkeeping, and the rules of its life (no I/O).

:class:`Slot` holds a connection and its times; :func:`deadline` draws when a new
connection expires (its lifetime minus a random share, so a pool does not reconnect
all at once); :func:`sweep` decides which idle connections the reaper closes. The
pool applies the decisions.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random
    from collections.abc import Iterable

__all__ = ["Slot", "deadline", "sweep"]


class Slot:
    """One pooled connection and its bookkeeping."""

    __slots__ = ("acquired_at", "conn", "dirty", "expires", "last_used")

    def __init__(self, conn: Any, now: float, expires: float | None) -> None:
        self.conn = conn
        self.expires = expires
        self.last_used = now
        self.acquired_at = now
        self.dirty = False


def deadline(now: float, lifetime: float | None, jitter: float, rng: random.Random) -> float | None:
    """When a connection opened at ``now`` expires: ``lifetime`` less up to ``jitter`` of it.

    Returns:
        The monotonic time, or ``None`` for no lifetime.
    """
    if lifetime is None:
        return None
    return now + lifetime * (1.0 - jitter * rng.random())


def sweep(
    idle: Iterable[Slot], now: float, idle_timeout: float | None, min_size: int, size: int
) -> tuple[deque[Slot], list[Slot]]:
    """Split idle connections into those kept and those to close, in order.

    Closed: every expired one, and ones idle for ``idle_timeout`` or longer as
    long as the pool (``size`` connections) stays at ``min_size`` or above.

    Returns:
        ``(kept, retired)``.
    """
    kept: deque[Slot] = deque()
    retired: list[Slot] = []
    total = size
    for slot in idle:
        expired = slot.expires is not None and now >= slot.expires
        stale = (
            idle_timeout is not None and now - slot.last_used >= idle_timeout and total > min_size
        )
        if expired or stale:
            total -= 1
            retired.append(slot)
        else:
            kept.append(slot)
    return kept, retired
