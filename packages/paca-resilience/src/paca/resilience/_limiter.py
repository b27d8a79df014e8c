"""``RateLimiter``: per-key budgets in memory or shared through Redis.

The algorithms are sans-I/O (``_limiter_algorithms``); this module adds the
clock, the per-key table with bounded memory (``_limiter_keys``), FIFO waiting
(``_limiter_waiters``), the Redis twin (``_limiter_redis``), blocks and server
header adoption (``_limiter_blocks``, ``_limiter_headers``) and events
(``_limiter_events``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

from ._clock import Clock, MonotonicClock
from ._errors import RateLimitedError
from ._limiter_algorithms import Algorithm, Decision, bad_cost, build_algorithm, check_cost
from ._limiter_blocks import KeyBlocking
from ._limiter_events import (
    RateLimiterEvent,
    RateLimitRejected,
    RateLimitStoreFailed,
)
from ._limiter_waiters import WaiterQueues
from ._listeners import Listeners
from ._store import FailureMode, MemoryStore, Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._limiter_redis import RedisLimiterBackend
    from ._store import RedisStore

__all__ = ["RateLimiter"]


class RateLimiter(KeyBlocking):
    """Admit at most ``rate`` units of cost per ``per`` seconds, per key.

    Algorithms (``algorithm=``):

    * ``"token_bucket"`` (default) and ``"gcra"``: smooth rate ``rate / per``
      with bursts up to ``burst`` (default ``max(1, rate)``); in any interval
      of ``t`` seconds at most ``burst + t * rate / per`` units are admitted.
      GCRA keeps a single float per key.
    * ``"sliding_window"`` (sliding-window counter) and ``"fixed_window"``: at
      most ``rate`` units (a whole number) per window of ``per`` seconds.

    Keys are independent budgets (``key="default"``). In memory, at most
    ``max_keys`` keys are tracked: when the table is full, keys whose budget
    has fully refilled are forgotten first (that loses nothing); if that is
    not enough, the keys closest to a full budget go (the state of a key with
    waiters is never dropped). With a :class:`~paca.resilience.RedisStore`
    every decision is one atomic Lua script using Redis ``TIME``, and each key
    expires once its budget has refilled.

    A ``cost`` must satisfy ``0 < cost <= capacity`` (``burst``, or ``rate`` for
    the windows): a cost that could never be admitted raises ``ValueError``
    naming ``cost`` at once rather than waiting forever.

    Example:
        >>> limiter = RateLimiter(rate=10, per=1.0, burst=2)
        >>> limiter.try_acquire_sync("user-1").allowed
        True

    Args:
        rate: Units admitted per ``per`` seconds (> 0).
        per: The period in seconds (> 0).
        algorithm: ``"token_bucket"``, ``"gcra"``, ``"sliding_window"`` or ``"fixed_window"``.
        burst: Largest burst for the token bucket and GCRA (>= 1); not
            accepted by the window algorithms.
        name: Names the limiter in events and in Redis keys.
        clock: Time source (default :class:`~paca.resilience.MonotonicClock`).
        store: :class:`~paca.resilience.MemoryStore` (default) or
            :class:`~paca.resilience.RedisStore`.
        failure_mode: With Redis, admit (``"fail_open"``) or reject
            (``"fail_closed"``) when Redis fails; default: the store's.
        max_keys: Most keys kept in memory (>= 1).

    Raises:
        ValueError: A parameter is out of range; the message names it.
    """

    __slots__ = (
        "_admit",
        "_algorithm",
        "_capacity",
        "_clock",
        "_decide",
        "_failure_mode",
        "_listeners",
        "_max_keys",
        "_now",
        "_per",
        "_queues",
        "_rate",
        "_redis",
        "_states",
        "_store",
        "_waiting",
        "name",
    )

    def __init__(
        self,
        rate: float,
        per: float = 1.0,
        *,
        algorithm: str = "token_bucket",
        burst: float | None = None,
        name: str = "default",
        clock: Clock | None = None,
        store: Store | None = None,
        failure_mode: FailureMode | str | None = None,
        max_keys: int = 10_000,
    ) -> None:
        self._algorithm: Algorithm[Any] = build_algorithm(rate, per, algorithm, burst)
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            msg = f"max_keys must be an int >= 1, got {max_keys!r}"
            raise ValueError(msg)
        if not isinstance(name, str) or not name:
            msg = f"name must be a non-empty string, got {name!r}"
            raise ValueError(msg)
        self.name = name
        self._rate = float(rate)
        self._per = float(per)
        self._capacity = self._algorithm.capacity
        self._max_keys = max_keys
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._now = self._clock.now
        self._store: Store = store if store is not None else MemoryStore()
        self._states: dict[str, Any] = {}
        self._decide = self._algorithm.decide
        self._admit = self._algorithm.admit
        self._listeners: Listeners[RateLimiterEvent] = Listeners()
        self._queues = WaiterQueues(self._clock, self._decide_key, self._refund_key, self._peek_key)
        self._waiting = self._queues.by_key
        self._redis: RedisLimiterBackend | None = None
        mode = getattr(self._store, "failure_mode", FailureMode.FAIL_OPEN)
        try:
            self._failure_mode = FailureMode(mode if failure_mode is None else failure_mode)
        except ValueError:
            msg = f"failure_mode must be 'fail_open' or 'fail_closed', got {failure_mode!r}"
            raise ValueError(msg) from None
        if self._store.kind == "redis":
            from ._limiter_redis import RedisLimiterBackend  # noqa: PLC0415 - redis is optional

            store_, mode_ = cast("RedisStore", self._store), self._failure_mode
            args = (self._algorithm, name, mode_, self._clock, self._store_failed)
            self._redis = RedisLimiterBackend(store_, *args)

    @classmethod
    def per_second(cls, rate: float, **options: Any) -> RateLimiter:
        """Build a limiter of ``rate`` units per second (see the class for ``options``)."""
        return cls(rate, 1.0, **options)

    @classmethod
    def per_minute(cls, rate: float, **options: Any) -> RateLimiter:
        """Build a limiter of ``rate`` units per minute (see the class for ``options``)."""
        return cls(rate, 60.0, **options)

    @property
    def algorithm(self) -> str:
        """The algorithm's name."""
        return self._algorithm.name

    @property
    def capacity(self) -> float:
        """The largest cost one call may ask for (the burst, or the window's limit)."""
        return self._capacity

    @property
    def tracked_keys(self) -> int:
        """How many keys this process holds state for (always 0 with Redis)."""
        return len(self._states)

    def add_listener(self, listener: Callable[[RateLimiterEvent], object]) -> Callable[[], None]:
        """Call ``listener`` with every event; return a function that removes it.

        Events: :class:`RateLimitRejected`, :class:`RateLimitStoreFailed`,
        :class:`RateLimitHeadersAdopted`. A listener that raises is logged and
        ignored.
        """
        return self._listeners.add(listener)

    # --- deciding without waiting ------------------------------------------------------------

    def try_acquire_sync(self, key: str = "default", cost: float = 1) -> Decision:
        """Decide at once, synchronously: the in-memory fast path.

        Takes ``cost`` units from ``key`` if available. While ``acquire``
        callers wait on ``key``, this is denied so it cannot jump their queue.

        Args:
            key: The budget to charge.
            cost: Units to take (``0 < cost <= capacity``).

        Returns:
            The :class:`Decision`.

        Raises:
            TypeError: The limiter uses a Redis store (use ``await try_acquire()``).
            ValueError: ``cost`` is out of range.
        """
        state = self._states.get(key)
        if state is None or self._waiting:
            return self._try_slow(key, cost)
        if not 0 < cost <= self._capacity:
            raise bad_cost(cost, self._capacity)
        decision = self._decide(state, self._now(), cost)
        if decision.allowed:
            return decision
        self._rejected(key, cost, decision)
        return decision

    def admit_now(self, key: str, cost: float) -> bool:
        """Take ``cost`` from ``key`` if it can be done at once in memory; emit nothing.

        The pipeline's fast path: ``False`` means "go through :meth:`acquire`" (Redis store,
        waiters queued, an unknown key, or not enough budget now), which then decides,
        waits and reports as usual. ``cost`` must already be valid.
        """
        if self._redis is not None or self._waiting:
            return False
        state = self._states.get(key)
        return state is not None and self._admit(state, self._now(), cost)

    async def try_acquire(self, key: str = "default", cost: float = 1) -> Decision:
        """Decide at once: take ``cost`` units from ``key`` if available, else say when.

        Works with both stores (one Lua round trip with Redis; a Redis failure
        gives the ``failure_mode`` answer, never an exception).

        Args:
            key: The budget to charge.
            cost: Units to take (``0 < cost <= capacity``).

        Returns:
            The :class:`Decision`.

        Raises:
            ValueError: ``cost`` is out of range.
        """
        if self._redis is None:
            return self.try_acquire_sync(key, cost)
        check_cost(cost, self._capacity)
        decision, reason = await self._redis.decide(key, cost)
        if not decision.allowed:
            self._rejected(key, cost, decision, reason)
        return decision

    def _try_slow(self, key: str, cost: float) -> Decision:
        if self._redis is not None:
            msg = "try_acquire_sync needs a MemoryStore; with Redis use `await try_acquire()`"
            raise TypeError(msg)
        check_cost(cost, self._capacity)
        if key in self._waiting:  # queued waiters go first
            decision = self._peek_key(key, cost)
            decision = Decision(False, decision.retry_after, decision.remaining)
            self._rejected(key, cost, decision, "queued")
            return decision
        decision = self._decide_key(key, cost)
        if not decision.allowed:
            self._rejected(key, cost, decision)
        return decision

    # --- waiting -----------------------------------------------------------------------------

    async def acquire(
        self, key: str = "default", cost: float = 1, *, timeout: float | None = None
    ) -> Decision:
        """Wait until ``cost`` units of ``key`` are admitted, or ``timeout`` seconds pass.

        In memory, waiters of a key are admitted in FIFO order, one per
        release; a waiter that times out or is cancelled leaves the queue
        without disturbing it and without consuming budget. With Redis the
        call sleeps ``retry_after`` and tries again (no cross-process order).
        When the key has no queue and the wait needed already exceeds
        ``timeout``, the denied decision is returned at once.

        Args:
            key: The budget to charge.
            cost: Units to take (``0 < cost <= capacity``).
            timeout: Most seconds to wait (``None``: no limit; ``0``: do not wait).

        Returns:
            The admitting :class:`Decision`, or a denied one on timeout (and,
            with Redis failing closed, at once with ``retry_after=None``).

        Raises:
            ValueError: ``cost`` or ``timeout`` is out of range.
        """
        if not 0 < cost <= self._capacity:
            raise bad_cost(cost, self._capacity)
        if timeout is not None and not (timeout >= 0 and math.isfinite(timeout)):
            msg = f"timeout must be None or a finite number >= 0, got {timeout!r}"
            raise ValueError(msg)
        if not self._waiting:  # the hot path: an existing key, nobody waiting
            state = self._states.get(key)
            if state is not None and self._redis is None:
                decision = self._decide(state, self._now(), cost)
                if decision.allowed:
                    return decision
                return await self._denied(key, cost, timeout, decision)
        if self._redis is not None:
            decision, reason = await self._redis.acquire(key, cost, timeout)
            if not decision.allowed:
                self._rejected(key, cost, decision, reason)
            return decision
        if key not in self._waiting:
            decision = self._decide_key(key, cost)
            if decision.allowed:
                return decision
            return await self._denied(key, cost, timeout, decision)
        return await self._wait(key, cost, timeout)

    async def _denied(
        self, key: str, cost: float, timeout: float | None, decision: Decision
    ) -> Decision:
        """Not admitted at once: give up now if the wait would pass ``timeout``, else queue."""
        if (
            timeout is not None
            and decision.retry_after is not None
            and decision.retry_after > timeout
        ):
            self._rejected(key, cost, decision)
            return decision
        return await self._wait(key, cost, timeout)

    async def _wait(self, key: str, cost: float, timeout: float | None) -> Decision:
        decision = await self._queues.wait(key, cost, timeout)
        if not decision.allowed:
            self._rejected(key, cost, decision, "timeout")
        return decision

    async def acquire_or_raise(
        self, key: str = "default", cost: float = 1, *, timeout: float | None = None
    ) -> Decision:
        """Like :meth:`acquire`, but raise when not admitted: the pipeline guard.

        Returns:
            The admitting :class:`Decision`.

        Raises:
            RateLimitedError: Not admitted within ``timeout``; its
                ``retry_after`` says when to try again (``None`` if unknown).
            ValueError: ``cost`` or ``timeout`` is out of range.
        """
        decision = await self.acquire(key, cost, timeout=timeout)
        if not decision.allowed:
            msg = f"rate limiter {self.name!r} did not admit key {key!r} (cost {cost})"
            raise RateLimitedError(msg, retry_after=decision.retry_after)
        return decision

    # --- internals ---------------------------------------------------------------------------

    def _store_failed(self, key: str, operation: str, exc: BaseException) -> None:
        if self._listeners:
            mode = self._failure_mode
            admitted = mode is FailureMode.FAIL_OPEN
            failed = RateLimitStoreFailed(
                self.name, key, operation, mode.value, admitted, repr(exc)
            )
            self._listeners.emit(failed)

    def _rejected(
        self, key: str, cost: float, decision: Decision, reason: str | None = None
    ) -> None:
        if self._listeners:
            if reason is None:
                state = self._states.get(key)
                blocked = state is not None and state.blocked > self._now()
                reason = "blocked" if blocked else "limit"
            self._listeners.emit(
                RateLimitRejected(self.name, key, cost, decision.retry_after, reason)
            )

    def __repr__(self) -> str:
        return (
            f"RateLimiter(name={self.name!r}, rate={self._rate!r}, per={self._per!r}, "
            f"algorithm={self.algorithm!r}, capacity={self._capacity!r}, store={self._store!r})"
        )
