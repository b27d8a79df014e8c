"""``CircuitBreaker``: stop calling what is failing, probe it, and resume when it recovers.

The decisions live in :mod:`paca.resilience._breaker_machine` (in memory) or
in one Lua script (:mod:`paca.resilience._breaker_redis`); this module is the
asyncio layer: permits around the caller's coroutine and events. Outcome
classification is in :mod:`paca.resilience._breaker_outcome`, ``async with``
and outcome recording in :mod:`paca.resilience._breaker_permits`, the Redis
call paths and the store's failure mode in :mod:`paca.resilience._breaker_remote`.
"""

from __future__ import annotations

import contextvars
import dataclasses
import itertools
import random
import uuid
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from paca.resilience._breaker_config import BreakerConfig, BreakerState
from paca.resilience._breaker_events import (
    BreakerEvent,
    BreakerMetrics,
    BreakerStateChanged,
)
from paca.resilience._breaker_machine import SUCCESS, BreakerMachine
from paca.resilience._breaker_permits import BreakerPermits
from paca.resilience._breaker_redis import RedisBreakerBackend, RedisReply
from paca.resilience._breaker_remote import Entry, store_errors
from paca.resilience._clock import Clock, MonotonicClock
from paca.resilience._errors import CircuitOpenError, failure_from
from paca.resilience._listeners import Listeners
from paca.resilience._store import FailureMode, MemoryStore, RedisStore
from paca.result import Result

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable

    from paca.resilience._store import Store

__all__ = ["CircuitBreaker"]

P = ParamSpec("P")
T = TypeVar("T")


class CircuitBreaker(BreakerPermits):
    """A circuit breaker for async calls, in memory or shared through Redis.

    Closed, it lets calls through and records their outcomes in a sliding
    window (count- or time-based); when the failure rate or the slow-call rate
    reaches its threshold over at least ``minimum_calls`` calls (or after
    ``consecutive_failures`` failures in a row) it opens and rejects calls for
    the open duration; then it lets ``half_open_permits`` probes through and
    closes or reopens on their outcome.

    ``asyncio.CancelledError``, ``KeyboardInterrupt`` and ``SystemExit`` never
    count and always propagate; a cancelled probe gives its permit back.

    Args:
        name: Names the breaker in errors and events (and its Redis keys).
        config: A :class:`BreakerConfig`; ``**options`` override its fields.
        clock: Time source for durations (default :class:`MonotonicClock`).
        store: :class:`MemoryStore` (default) or :class:`RedisStore`.
        failure_mode: Redis only: what to do when Redis fails; defaults to the
            store's. Fail-open admits the call unrecorded, fail-closed rejects
            it; either way a :class:`BreakerStoreFailed` event is emitted.
        rng: Random source for the open-duration jitter (seed it in tests).
        redis_time_override: Tests only: the Redis script uses this clock
            instead of Redis ``TIME``, so fake-clock tests run against Redis.
        **options: :class:`BreakerConfig` fields, e.g. ``window_size=20``.

    Raises:
        ValueError: An invalid option, named in the message.

    Example:
        >>> breaker = CircuitBreaker("payments", failure_rate_threshold=50, window_size=20)
        >>> breaker.state
        <BreakerState.CLOSED: 'closed'>
    """

    __slots__ = (
        "_calls",
        "_clock",
        "_custom_result",
        "_failure_mode",
        "_listeners",
        "_machine",
        "_now",
        "_redis",
        "_slow",
        "_store_errors",
        "_tasks",
        "_token_prefix",
        "_tokens",
        "config",
        "name",
        "store",
    )

    def __init__(
        self,
        name: str,
        config: BreakerConfig | None = None,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        failure_mode: FailureMode | str | None = None,
        rng: random.Random | None = None,
        redis_time_override: Clock | None = None,
        **options: Any,
    ) -> None:
        if not isinstance(name, str) or not name:
            msg = f"name must be a non-empty string, got {name!r}"
            raise ValueError(msg)
        if config is None:
            config = BreakerConfig(**options)
        elif options:
            config = dataclasses.replace(config, **options)
        self.name = name
        self.config = config
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._now = self._clock.now
        self.store: Store = store if store is not None else MemoryStore()
        rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._listeners: Listeners[BreakerEvent] = Listeners()
        self._machine = BreakerMachine(
            config,
            rng=rng,
            on_transition=self._transitioned,
            fast_path=not isinstance(self.store, RedisStore),
        )
        self._slow = config.slow_call_duration
        self._custom_result = config.record_result is not None
        self._calls: contextvars.ContextVar[Entry | None] = contextvars.ContextVar(
            f"paca_breaker_{name}", default=None
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._tokens = itertools.count()
        self._token_prefix = uuid.uuid4().hex[:16]
        self._remote: RedisReply | None = None
        self._entered = None
        self._exited = None
        self._redis: RedisBreakerBackend | None = None
        self._store_errors: tuple[type[BaseException], ...] = ()
        if isinstance(self.store, RedisStore):
            self._redis = RedisBreakerBackend(self.store, name, config, rng, redis_time_override)
            self._store_errors = store_errors()
            mode = failure_mode if failure_mode is not None else self.store.failure_mode
        elif isinstance(self.store, MemoryStore):
            mode = failure_mode if failure_mode is not None else FailureMode.FAIL_OPEN
        else:
            msg = f"store must be a MemoryStore or a RedisStore, got {self.store!r}"
            raise TypeError(msg)
        self._failure_mode = FailureMode(mode)

    # -- reading -------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The current state (for Redis: as of this process's last round trip).

        An open breaker reports ``OPEN`` until the first call after its open
        duration moves it to half-open.
        """
        if self._redis is None:
            return self._machine.state
        return self._remote.state if self._remote is not None else BreakerState.CLOSED

    @property
    def failure_mode(self) -> FailureMode:
        """What this breaker does when its Redis store fails."""
        return self._failure_mode

    def metrics(self) -> BreakerMetrics:
        """Return the failure rate, slow-call rate, calls in the window and rejections.

        For a Redis-backed breaker these are the values of this process's last
        round trip; ``await refresh()`` reads them afresh.
        """
        if self._redis is None:
            return self._machine.metrics(self._now())
        return self._remote_metrics()

    async def refresh(self) -> BreakerMetrics:
        """Read the shared state from Redis (a no-op in memory) and return the metrics.

        A Redis failure is reported as a :class:`BreakerStoreFailed` event and
        the last known metrics are returned.
        """
        if self._redis is not None:
            try:
                self._observe(await self._redis.read())
            except self._store_errors as exc:
                self._store_failed("refresh", exc)
        return self.metrics()

    def add_listener(self, listener: Callable[[BreakerEvent], object]) -> Callable[[], None]:
        """Call ``listener`` with every event; return a function that removes it.

        Events: :class:`BreakerStateChanged`, :class:`CallRejected`,
        :class:`BreakerStoreFailed`. A listener that raises is logged and
        skipped; it never breaks a call.
        """
        return self._listeners.add(listener)

    # -- calling -------------------------------------------------------------

    async def call(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``await fn(*args, **kwargs)`` through the breaker.

        Args:
            fn: The async function to protect.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            What ``fn`` returned (a returned failed ``Result`` is recorded by
            its kind and returned as is).

        Raises:
            CircuitOpenError: The breaker rejected the call; ``fn`` did not run.
            Exception: Whatever ``fn`` raised, after recording it.
        """
        machine = self._machine
        if machine.fast:  # closed, and the window needs no clock
            epoch = machine.epoch
            try:
                value = await fn(*args, **kwargs)
            except BaseException as exc:
                self._settle(epoch, self._exc_code(exc), 0.0)
                raise
            if machine.noop and not isinstance(value, Result):
                return value  # a success in a window full of successes changes nothing
            if self._custom_result or isinstance(value, Result):
                code = self._value_code(value)
                if code != SUCCESS or not machine.record_success(epoch):  # no clock if it can
                    self._settle(epoch, code, 0.0)
            elif not machine.record_success(epoch):
                machine.record(epoch, SUCCESS, self._now())
            return value
        if self._redis is not None:
            return await self._call_redis(fn, args, kwargs)
        now = self._now()
        epoch = machine.acquire(now)
        if epoch < 0:
            raise self._rejected(now)
        try:
            value = await fn(*args, **kwargs)
        except BaseException as exc:
            self._settle(epoch, self._exc_code(exc), now)
            raise
        self._settle(epoch, self._value_code(value), now)
        return value

    @overload
    async def execute(
        self, fn: Callable[P, Awaitable[Result[T]]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Result[T]: ...

    @overload
    async def execute(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Result[T]: ...

    async def execute(
        self, fn: Callable[P, Awaitable[Any]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Result[Any]:
        """Run ``fn`` through the breaker and return a ``Result``; never raises for failures.

        Args:
            fn: The async function to protect.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            ``Result.ok(value)``; or ``fn``'s own ``Result`` as is; or
            ``failure_from(exc)`` when ``fn`` raised; or, when the breaker
            rejected the call, a failure of kind ``CIRCUIT_OPEN`` whose
            ``meta["retry_after"]`` is the seconds to wait (``None`` if
            unknown, e.g. forced open). Cancellation still propagates.
        """
        try:
            value = await self.call(fn, *args, **kwargs)
        except CircuitOpenError as exc:
            return failure_from(exc, retry_after=exc.retry_after)
        except Exception as exc:
            return failure_from(exc)
        if isinstance(value, Result):
            return value
        return Result.ok(value)

    # -- manual control --------------------------------------------------------

    async def force_open(self) -> None:
        """Reject every call until :meth:`reset` (state ``FORCED_OPEN``).

        Raises:
            redis.RedisError: A Redis-backed breaker could not reach Redis (a
                manual change does not fail silently).
        """
        await self._transition(BreakerState.FORCED_OPEN)

    async def disable(self) -> None:
        """Admit every call without recording it until :meth:`reset` (``DISABLED``)."""
        await self._transition(BreakerState.DISABLED)

    async def metrics_only(self) -> None:
        """Admit and record every call, never open, until :meth:`reset` (``METRICS_ONLY``)."""
        await self._transition(BreakerState.METRICS_ONLY)

    async def reset(self) -> None:
        """Close the breaker, empty its window and restart the open-duration growth."""
        await self._transition(BreakerState.CLOSED)

    async def _transition(self, state: BreakerState) -> None:
        if self._redis is None:
            self._machine.transition(state, self._now())
        else:
            self._observe(await self._redis.transition(state))

    # -- internals -------------------------------------------------------------

    def _transitioned(
        self,
        previous: BreakerState,
        state: BreakerState,
        reason: str,
        now: float,
        duration: float | None,
    ) -> None:
        if self._listeners:
            event = BreakerStateChanged(self.name, previous, state, reason, now, duration)
            self._listeners.emit(event)

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self.state.value}, store={self.store!r})"
