"""The circuit breaker's sans-I/O core: the state machine and its open durations.

Nothing here awaits, sleeps or reads a clock: callers pass ``now`` (seconds
from their clock) and get decisions back. The state machine tells its owner
about transitions through one hook, called only when the state changes.

The sliding windows and the outcome codes (``SUCCESS``, ``FAILURE``, ``SLOW``) live in
:mod:`paca.resilience._breaker_window`; they are re-exported here, where the breaker's other
modules and tests import them. ``REJECTED`` (``-1``) is the permit refused by ``acquire``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from paca.resilience._breaker_config import BreakerConfig, BreakerState, WindowType
from paca.resilience._breaker_events import BreakerMetrics
from paca.resilience._breaker_window import FAILURE, SLOW, SUCCESS, CountWindow, TimeWindow

__all__ = [
    "FAILURE",
    "REJECTED",
    "SLOW",
    "SUCCESS",
    "BreakerMachine",
    "CountWindow",
    "TimeWindow",
    "open_duration",
]

REJECTED = -1

TransitionHook = Callable[[BreakerState, BreakerState, str, float, "float | None"], None]

_CLOSED = BreakerState.CLOSED
_OPEN = BreakerState.OPEN
_HALF_OPEN = BreakerState.HALF_OPEN
_FORCED_OPEN = BreakerState.FORCED_OPEN
_DISABLED = BreakerState.DISABLED
_METRICS_ONLY = BreakerState.METRICS_ONLY


def open_duration(config: BreakerConfig, opens: int, unit: float) -> float:
    """Seconds to stay open for the ``opens``-th opening in a row.

    Args:
        config: The breaker's configuration.
        opens: 1 for the first opening since the breaker last closed.
        unit: A random number in ``[0, 1)`` for the jitter.

    Returns:
        ``open_duration * multiplier ** (opens - 1)``, times the jitter factor
        ``1 + jitter * (2 * unit - 1)``, capped at ``max_open_duration``.
    """
    duration = config.open_duration
    if config.open_duration_multiplier != 1 and opens > 1:
        try:
            duration *= config.open_duration_multiplier ** (opens - 1)
        except OverflowError:
            duration = math.inf
    if config.open_duration_jitter:
        duration *= 1 + config.open_duration_jitter * (2 * unit - 1)
    if config.max_open_duration is not None:
        duration = min(duration, config.max_open_duration)
    return duration


class BreakerMachine:
    """The breaker's state machine, fed with permits, outcomes and times.

    ``acquire(now)`` returns the current *epoch* (a permit) or ``REJECTED``;
    the caller reports the call with ``record(epoch, code, now)`` or, when it
    counts as neither (cancelled, ignored exception), ``release(epoch)``. The
    epoch changes on every transition, so outcomes of calls admitted before a
    transition are dropped: a call admitted while closed never uses up a
    half-open permit.

    Attributes:
        state: The current state.
        epoch: Incremented on every transition.
        fast: ``True`` while closed with a window that needs no clock (count
            window, no slow-call tracking); callers may then skip reading time.
        noop: ``True`` while ``fast`` and the window is full of successes: a
            success (without a ``record_result`` predicate) changes nothing.
        not_permitted: Rejected calls so far.
    """

    __slots__ = (
        "_on_transition",
        "_rng",
        "config",
        "consecutive",
        "epoch",
        "fast",
        "half_open_since",
        "noop",
        "noop_allowed",
        "not_permitted",
        "open_until",
        "opens",
        "probe_done",
        "probe_failed",
        "probe_slow",
        "probes",
        "state",
        "timed",
        "window",
    )

    def __init__(
        self,
        config: BreakerConfig,
        *,
        rng: random.Random | None = None,
        on_transition: TransitionHook | None = None,
        fast_path: bool = True,
    ) -> None:
        self.config = config
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._on_transition = on_transition
        self.window: CountWindow | TimeWindow = (
            CountWindow(config.window_size)
            if config.window_type is WindowType.COUNT
            else TimeWindow(config.window_size)
        )
        self.timed = (
            not fast_path
            or config.window_type is WindowType.TIME
            or config.slow_call_duration is not None
        )
        self.noop_allowed = not self.timed and config.record_result is None
        self.state = _CLOSED
        self.fast = not self.timed
        self.noop = False
        self.epoch = 0
        self.consecutive = 0
        self.opens = 0
        self.open_until = 0.0
        self.half_open_since = 0.0
        self.probes = self.probe_done = self.probe_failed = self.probe_slow = 0
        self.not_permitted = 0

    # -- permits -------------------------------------------------------------

    def acquire(self, now: float) -> int:
        """Ask to run a call at ``now``; return the epoch as a permit, or ``REJECTED``."""
        state = self.state
        if state is _CLOSED or state is _DISABLED or state is _METRICS_ONLY:
            return self.epoch
        if state is _OPEN:
            if now < self.open_until:
                self.not_permitted += 1
                return REJECTED
            self._to_half_open(now)
        elif state is _FORCED_OPEN:
            self.not_permitted += 1
            return REJECTED
        if self._half_open_expired(now):
            self.not_permitted += 1
            return REJECTED
        if self.probes + self.probe_done < self.config.half_open_permits:
            self.probes += 1
            return self.epoch
        self.not_permitted += 1
        return REJECTED

    def retry_after(self, now: float) -> float | None:
        """Seconds until calls may be admitted again (``0.0`` in half-open, ``None`` if forced)."""
        if self.state is _OPEN:
            return max(0.0, self.open_until - now)
        if self.state is _FORCED_OPEN:
            return None
        return 0.0

    # -- outcomes ------------------------------------------------------------

    def record(self, epoch: int, code: int, now: float) -> None:
        """Report the outcome ``code`` of a call admitted with permit ``epoch``."""
        if epoch != self.epoch:
            return
        state = self.state
        if state is _CLOSED:
            window = self.window
            window.add(code, now)
            if code & FAILURE:
                self.consecutive += 1
                limit = self.config.consecutive_failures
                if limit is not None and self.consecutive >= limit:
                    self._open("consecutive_failures", now)
                    return
            else:
                self.consecutive = 0
            if window.failed or window.slow:
                self.noop = False
                self._check_rates(now)
            else:
                self.noop = self.noop_allowed and self.fast and window.total == window.size
        elif state is _HALF_OPEN:
            self._record_probe(code, now)
        elif state is _METRICS_ONLY:
            self.window.add(code, now)
            self.consecutive = self.consecutive + 1 if code & FAILURE else 0

    def _record_probe(self, code: int, now: float) -> None:
        self.probes -= 1
        self.probe_done += 1
        self.probe_failed += code & FAILURE
        self.probe_slow += (code & SLOW) >> 1
        if self._half_open_expired(now):
            return
        if self.probe_done >= self.config.half_open_permits:
            if self._over(self.probe_done, self.probe_failed, self.probe_slow):
                self._open("probes_failed", now)
            else:
                self._close("probes_succeeded", now)

    def record_success(self, epoch: int) -> bool:
        """Record a success without a clock reading when no transition can follow.

        The closed fast path: a count window with no failures and no slow-call
        tracking, where a success only moves the ring. Returns ``False`` (and
        records nothing) otherwise; the caller then uses :meth:`record`.
        """
        if epoch != self.epoch or not self.fast:
            return False
        window = self.window
        if window.failed:
            return False
        # fast implies a CountWindow holding only zeros (so ``consecutive`` is 0 and
        # where the ring position points does not matter): only the count moves
        if window.total != window.size:
            window.total += 1
            self.noop = self.noop_allowed and window.total == window.size
        return True

    def record_current(self, code: int, now: float) -> None:
        """Record an outcome of a call admitted on the closed fast path, epoch unknown.

        Counted if the breaker is closed, dropped otherwise (it held no
        half-open permit).
        """
        if self.state is _CLOSED:
            self.record(self.epoch, code, now)

    def release(self, epoch: int) -> None:
        """Give back the permit of a call that counts as neither success nor failure."""
        if epoch == self.epoch and self.state is _HALF_OPEN:
            self.probes -= 1

    def _over(self, calls: int, failed: int, slow: int) -> bool:
        config = self.config
        return (
            failed * 100 >= config.failure_rate_threshold * calls
            or slow * 100 >= config.slow_call_rate_threshold * calls
        )

    def _check_rates(self, now: float) -> None:
        calls, failed, slow = self.window.counts(now)
        config = self.config
        if calls < config.minimum_calls:
            return
        if failed * 100 >= config.failure_rate_threshold * calls:
            self._open("failure_rate", now)
        elif slow * 100 >= config.slow_call_rate_threshold * calls:
            self._open("slow_call_rate", now)

    def _half_open_expired(self, now: float) -> bool:
        limit = self.config.max_half_open_duration
        if limit is not None and now - self.half_open_since >= limit:
            self._open("half_open_timeout", now)
            return True
        return False

    # -- transitions ---------------------------------------------------------

    def _to(self, state: BreakerState, reason: str, now: float, duration: float | None) -> None:
        previous = self.state
        self.state = state
        self.epoch += 1
        self.fast = state is _CLOSED and not self.timed
        self.noop = False
        self.probes = self.probe_done = self.probe_failed = self.probe_slow = 0
        if self._on_transition is not None:
            self._on_transition(previous, state, reason, now, duration)

    def _open(self, reason: str, now: float) -> None:
        self.opens += 1
        duration = open_duration(self.config, self.opens, self._rng.random())
        self.open_until = now + duration
        self._to(_OPEN, reason, now, duration)

    def _to_half_open(self, now: float) -> None:
        self.half_open_since = now
        self._to(_HALF_OPEN, "open_duration_elapsed", now, None)

    def _close(self, reason: str, now: float) -> None:
        self.window.reset()
        self.consecutive = 0
        self.opens = 0
        self._to(_CLOSED, reason, now, None)

    def transition(self, state: BreakerState, now: float) -> None:
        """Move to ``state`` by hand (force open, disable, metrics only, reset).

        ``CLOSED`` is a full reset: empty window, open-duration growth restarted.
        """
        if state is _CLOSED:
            self._close("reset", now)
        elif state is _FORCED_OPEN:
            self._to(state, "forced_open", now, None)
        elif state is _DISABLED:
            self._to(state, "disabled", now, None)
        elif state is _METRICS_ONLY:
            self._to(state, "metrics_only", now, None)
        else:
            msg = f"state must be closed, forced_open, disabled or metrics_only, got {state!r}"
            raise ValueError(msg)

    # -- reading -------------------------------------------------------------

    def metrics(self, now: float) -> BreakerMetrics:
        """Return a snapshot of the window and counters at ``now``."""
        calls, failed, slow = self.window.counts(now)
        return BreakerMetrics(
            state=self.state,
            calls=calls,
            failed_calls=failed,
            slow_calls=slow,
            failure_rate=failed * 100 / calls if calls else 0.0,
            slow_call_rate=slow * 100 / calls if calls else 0.0,
            not_permitted_calls=self.not_permitted,
            consecutive_failures=self.consecutive,
        )
