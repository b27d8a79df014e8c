"""The records a circuit breaker hands out: events for listeners and metric snapshots.

All are frozen dataclasses with slots. Events are built only when someone
listens (see :class:`~paca.resilience._listeners.Listeners`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from paca.resilience._breaker_config import BreakerState

__all__ = [
    "BreakerEvent",
    "BreakerMetrics",
    "BreakerStateChanged",
    "BreakerStoreFailed",
    "CallRejected",
]


@dataclass(frozen=True, slots=True)
class BreakerStateChanged:
    """The breaker moved from one state to another.

    Attributes:
        name: The breaker's name.
        previous: The state it left.
        state: The state it entered.
        reason: Why: ``failure_rate``, ``slow_call_rate``,
            ``consecutive_failures``, ``open_duration_elapsed``,
            ``probes_succeeded``, ``probes_failed``, ``half_open_timeout``,
            ``forced_open``, ``disabled``, ``metrics_only`` or ``reset``.
        at: The breaker clock's reading (Redis ``TIME`` in seconds for a
            Redis-backed breaker).
        open_duration: Seconds the breaker will stay open, when it opened.
    """

    name: str
    previous: BreakerState
    state: BreakerState
    reason: str
    at: float
    open_duration: float | None = None


@dataclass(frozen=True, slots=True)
class CallRejected:
    """The breaker refused a call.

    Attributes:
        name: The breaker's name.
        state: The state that refused it (``open``, ``half_open`` when every
            probe permit is taken, ``forced_open``), or ``unavailable`` when
            a fail-closed Redis store could not be reached.
        retry_after: Seconds until the breaker may admit calls again, when
            known (``None`` for ``forced_open`` and an unreachable store).
    """

    name: str
    state: str
    retry_after: float | None


@dataclass(frozen=True, slots=True)
class BreakerStoreFailed:
    """The Redis store could not be reached; the breaker applied its failure mode.

    Attributes:
        name: The breaker's name.
        operation: ``acquire``, ``record``, ``transition`` or ``refresh``.
        failure_mode: ``fail_open`` (the call went through, unrecorded) or
            ``fail_closed`` (the call was rejected).
        error: The Redis error, as text.
    """

    name: str
    operation: str
    failure_mode: str
    error: str


BreakerEvent: TypeAlias = BreakerStateChanged | CallRejected | BreakerStoreFailed


@dataclass(frozen=True, slots=True)
class BreakerMetrics:
    """A snapshot of a breaker's window.

    Attributes:
        state: The breaker's state.
        calls: Calls in the sliding window.
        failed_calls: Failures in the window.
        slow_calls: Slow calls in the window.
        failure_rate: ``failed_calls`` as a percentage of ``calls`` (``0.0``
            when the window is empty).
        slow_call_rate: ``slow_calls`` as a percentage of ``calls``.
        not_permitted_calls: Calls rejected since the breaker was created
            (shared by every process for a Redis-backed breaker).
        consecutive_failures: Failures in a row at the end of the window.
    """

    state: BreakerState
    calls: int
    failed_calls: int
    slow_calls: int
    failure_rate: float
    slow_call_rate: float
    not_permitted_calls: int
    consecutive_failures: int
