"""Circuit breaker configuration: ``BreakerConfig``, ``BreakerState``, ``WindowType``.

Rates are percentages in ``(0, 100]`` (as in resilience4j): ``50`` means half
of the calls in the window. Durations are seconds (floats). Every invalid value
raises :class:`ValueError` naming the parameter when the config is built.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paca.result import ErrorKind

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DEFAULT_FAILURE_KINDS", "BreakerConfig", "BreakerState", "WindowType"]


class BreakerState(str, enum.Enum):
    """The states of a circuit breaker.

    ``CLOSED`` lets calls through and records them; ``OPEN`` rejects them until
    the open duration has passed; ``HALF_OPEN`` lets ``half_open_permits``
    probes through and closes or reopens on their outcome. ``FORCED_OPEN``
    rejects everything and ``DISABLED`` admits everything without recording,
    until :meth:`CircuitBreaker.reset`; ``METRICS_ONLY`` admits everything and
    records it (metrics stay live) but never opens.
    """

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"
    DISABLED = "disabled"
    METRICS_ONLY = "metrics_only"

    def __str__(self) -> str:
        return self.value


class WindowType(str, enum.Enum):
    """How the sliding window that rates are computed over is measured.

    ``COUNT``: the last ``window_size`` calls. ``TIME``: the calls of the last
    ``window_size`` seconds, kept as one bucket per second.
    """

    COUNT = "count"
    TIME = "time"

    def __str__(self) -> str:
        return self.value


#: Failed ``Result`` kinds (and, through :func:`~paca.resilience.classify`,
#: exception kinds) that count as failures by default: the ones that say the
#: remote side is unhealthy. Caller mistakes (validation, not found, conflict,
#: auth, integrity, query) mean the remote side answered, so they count as
#: successes; ``CANCELLED`` never counts.
DEFAULT_FAILURE_KINDS: frozenset[ErrorKind] = frozenset(
    {
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.HTTP_STATUS,
        ErrorKind.RATE_LIMITED,
        ErrorKind.CIRCUIT_OPEN,
        ErrorKind.UNAVAILABLE,
        ErrorKind.READ_ONLY,
        ErrorKind.UNKNOWN,
    }
)


def _fail(name: str, rule: str, value: object) -> ValueError:
    return ValueError(f"{name} must be {rule}, got {value!r}")


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise _fail(name, "a number", value)
    return float(value)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(name, f"an integer >= {minimum}", value)


def _check_rate(name: str, value: object) -> None:
    number = _check_number(name, value)
    if not 0 < number <= 100:
        raise _fail(name, "a percentage in (0, 100]", value)


def _check_positive(name: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    number = _check_number(name, value)
    if not 0 < number < math.inf:
        raise _fail(
            name, "a finite number of seconds > 0" + (" or None" if optional else ""), value
        )


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """Everything a :class:`CircuitBreaker` decides with.

    Attributes:
        window_type: ``WindowType.COUNT`` (the last ``window_size`` calls) or
            ``WindowType.TIME`` (the last ``window_size`` seconds).
        window_size: Calls (count window) or whole seconds (time window).
        minimum_calls: Calls the window must hold before rates can open the
            breaker; at most ``window_size`` for a count window.
        failure_rate_threshold: Percentage in ``(0, 100]``; the breaker opens
            when the failure rate is at or above it.
        slow_call_rate_threshold: Percentage in ``(0, 100]``; the breaker opens
            when the share of slow calls is at or above it.
        slow_call_duration: Calls lasting at least this many seconds are slow
            (successes and failures alike); ``None`` turns slow-call tracking off.
        consecutive_failures: Open after this many failures in a row,
            whatever the window says; ``None`` turns it off.
        open_duration: Seconds the breaker stays open the first time.
        open_duration_multiplier: Each consecutive opening (without closing in
            between) lasts this many times longer; ``1`` keeps it fixed. Above
            ``1`` it needs ``max_open_duration``.
        max_open_duration: Cap on the open duration (after jitter); ``None``
            means no cap.
        open_duration_jitter: Fraction in ``[0, 1)``: the open duration is
            multiplied by a random factor in ``[1 - jitter, 1 + jitter]``.
        half_open_permits: Probe calls admitted in half-open; the breaker
            decides once that many have finished (failure or slow rate of the
            probes against the thresholds). A probe that is cancelled or ends
            with an ignored exception gives its permit back.
        max_half_open_duration: Seconds the breaker may wait in half-open for
            its probes before opening again; ``None`` waits forever.
        probe_lease_duration: Redis only: a half-open permit held by a process
            expires after this many seconds, so a crashed process cannot keep
            it; an outcome reported after expiry is ignored.
        failure_kinds: Kinds that count as failures, for failed ``Result``
            values returned by the function and (via ``classify``) for
            exceptions it raises.
        record_exception: Decides whether an ``Exception`` counts as a
            failure (``True``) or a success (``False``); the default uses
            ``failure_kinds``. ``CancelledError``, ``KeyboardInterrupt`` and
            ``SystemExit`` never reach it: they are never counted.
        ignore_exceptions: Exception types that count as neither (their
            half-open permit is given back).
        record_result: Decides whether a returned value counts as a failure;
            the default counts a failed ``Result`` whose kind is in
            ``failure_kinds`` (a ``CANCELLED`` result is ignored) and any other
            value as a success.
    """

    window_type: WindowType = WindowType.COUNT
    window_size: int = 100
    minimum_calls: int = 10
    failure_rate_threshold: float = 50.0
    slow_call_rate_threshold: float = 100.0
    slow_call_duration: float | None = None
    consecutive_failures: int | None = None
    open_duration: float = 30.0
    open_duration_multiplier: float = 1.0
    max_open_duration: float | None = None
    open_duration_jitter: float = 0.0
    half_open_permits: int = 3
    max_half_open_duration: float | None = None
    probe_lease_duration: float = 60.0
    failure_kinds: frozenset[ErrorKind] = DEFAULT_FAILURE_KINDS
    record_exception: Callable[[BaseException], bool] | None = None
    ignore_exceptions: tuple[type[BaseException], ...] = ()
    record_result: Callable[[Any], bool] | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "window_type", WindowType(self.window_type))
        except ValueError:
            raise _fail("window_type", "'count' or 'time'", self.window_type) from None
        _check_int("window_size", self.window_size, 1)
        _check_int("minimum_calls", self.minimum_calls, 1)
        if self.window_type is WindowType.COUNT and self.minimum_calls > self.window_size:
            rule = f"<= window_size ({self.window_size}) for a count window"
            raise _fail("minimum_calls", rule, self.minimum_calls)
        _check_rate("failure_rate_threshold", self.failure_rate_threshold)
        _check_rate("slow_call_rate_threshold", self.slow_call_rate_threshold)
        _check_positive("slow_call_duration", self.slow_call_duration, optional=True)
        if self.consecutive_failures is not None:
            _check_int("consecutive_failures", self.consecutive_failures, 1)
        _check_positive("open_duration", self.open_duration)
        multiplier = _check_number("open_duration_multiplier", self.open_duration_multiplier)
        if not 1 <= multiplier < math.inf:
            raise _fail("open_duration_multiplier", "a finite number >= 1", multiplier)
        _check_positive("max_open_duration", self.max_open_duration, optional=True)
        if multiplier > 1 and self.max_open_duration is None:
            rule = "set (a cap) when open_duration_multiplier > 1"
            raise _fail("max_open_duration", rule, None)
        if self.max_open_duration is not None and self.max_open_duration < self.open_duration:
            rule = f">= open_duration ({self.open_duration})"
            raise _fail("max_open_duration", rule, self.max_open_duration)
        jitter = _check_number("open_duration_jitter", self.open_duration_jitter)
        if not 0 <= jitter < 1:
            raise _fail("open_duration_jitter", "a fraction in [0, 1)", jitter)
        _check_int("half_open_permits", self.half_open_permits, 1)
        _check_positive("max_half_open_duration", self.max_half_open_duration, optional=True)
        _check_positive("probe_lease_duration", self.probe_lease_duration)
        kinds = frozenset(self.failure_kinds)
        if not all(isinstance(kind, ErrorKind) for kind in kinds):
            raise _fail("failure_kinds", "a set of ErrorKind", self.failure_kinds)
        object.__setattr__(self, "failure_kinds", kinds)
        for name in ("record_exception", "record_result"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise _fail(name, "callable or None", value)
        ignored = tuple(self.ignore_exceptions)
        if not all(isinstance(t, type) and issubclass(t, BaseException) for t in ignored):
            raise _fail("ignore_exceptions", "a tuple of exception types", self.ignore_exceptions)
        object.__setattr__(self, "ignore_exceptions", ignored)
