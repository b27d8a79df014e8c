"""The Redis call paths of ``CircuitBreaker``: leases, records and the store's failure mode.

A mixin of :class:`~paca.resilience._breaker.CircuitBreaker` (it declares the
attributes it uses); the decisions themselves run in the Lua script of
:mod:`paca.resilience._breaker_redis`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from paca.resilience._breaker_config import BreakerState
from paca.resilience._breaker_events import BreakerMetrics, BreakerStoreFailed, CallRejected
from paca.resilience._breaker_machine import SUCCESS
from paca.resilience._breaker_outcome import IGNORED, BreakerOutcomes
from paca.resilience._errors import CircuitOpenError
from paca.resilience._store import FailureMode

if TYPE_CHECKING:
    import contextvars
    import itertools
    from collections.abc import Awaitable, Callable, Coroutine

    from paca.resilience._breaker_events import BreakerEvent
    from paca.resilience._breaker_redis import RedisBreakerBackend, RedisReply
    from paca.resilience._listeners import Listeners

__all__ = ["NO_PERMIT", "Entry", "RemoteBreakerCalls", "store_errors"]

P = ParamSpec("P")
T = TypeVar("T")
_B = TypeVar("_B", bound="RemoteBreakerCalls")

NO_PERMIT = -1
_log = logging.getLogger("paca.resilience")
# One entry per open ``async with``: (epoch or version, start, lease token, outer entry).
Entry = tuple[int, float, str, Any]


def store_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean the Redis store failed."""
    from redis.exceptions import RedisError  # noqa: PLC0415 - the optional ``redis`` extra

    return (ConnectionError, TimeoutError, OSError, RedisError)


class RemoteBreakerCalls(BreakerOutcomes):
    """The Redis-backed paths of a breaker (a mixin)."""

    __slots__ = ("_remote",)

    _redis: RedisBreakerBackend | None
    _remote: RedisReply | None
    _store_errors: tuple[type[BaseException], ...]
    _failure_mode: FailureMode
    _listeners: Listeners[BreakerEvent]
    _tasks: set[asyncio.Task[None]]
    _tokens: itertools.count[int]
    _token_prefix: str
    _calls: contextvars.ContextVar[Entry | None]

    if TYPE_CHECKING:  # CircuitBreaker's method: (previous, state, reason, now, duration)
        _transitioned: Callable[[BreakerState, BreakerState, str, float, float | None], None]

    def _remote_metrics(self) -> BreakerMetrics:
        reply = self._remote
        if reply is None:
            return BreakerMetrics(BreakerState.CLOSED, 0, 0, 0, 0.0, 0.0, 0, 0)
        calls, failed, slow = reply.calls, reply.failed, reply.slow
        return BreakerMetrics(
            state=reply.state,
            calls=calls,
            failed_calls=failed,
            slow_calls=slow,
            failure_rate=failed * 100 / calls if calls else 0.0,
            slow_call_rate=slow * 100 / calls if calls else 0.0,
            not_permitted_calls=reply.not_permitted,
            consecutive_failures=reply.consecutive,
        )

    async def _enter_redis(self: _B) -> _B:
        version, token = await self._acquire_redis()
        calls = self._calls
        calls.set((version, self._now(), token, calls.get()))
        return self

    async def _exit_redis(
        self, version: int, start: float, token: str, exc: BaseException | None
    ) -> None:
        if exc is None:
            await self._record_redis(version, self._slowed(SUCCESS, start), token)
        elif isinstance(exc, Exception):
            await self._record_redis(version, self._slowed(self._exc_code(exc), start), token)
        else:
            self._background(self._record_redis(version, IGNORED, token))

    def _observe(self, reply: RedisReply) -> None:
        # Concurrent replies may arrive out of order: keep the newest version.
        if self._remote is None or reply.version >= self._remote.version:
            self._remote = reply
        for previous, state, reason, duration in reply.transitions:
            self._transitioned(previous, state, reason, reply.now, duration)

    def _store_failed(self, operation: str, exc: BaseException) -> None:
        mode = self._failure_mode.value
        _log.warning("breaker %r: Redis failed on %s (%s): %r", self.name, operation, mode, exc)
        if self._listeners:
            self._listeners.emit(BreakerStoreFailed(self.name, operation, mode, repr(exc)))

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no running loop (interpreter shutting down)
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _acquire_redis(self) -> tuple[int, str]:
        assert self._redis is not None  # noqa: S101 - only called for Redis breakers
        token = f"{self._token_prefix}:{next(self._tokens)}"
        try:
            reply = await self._redis.acquire(token)
        except self._store_errors as exc:
            self._store_failed("acquire", exc)
            if self._failure_mode is FailureMode.FAIL_OPEN:
                return NO_PERMIT, ""
            if self._listeners:
                self._listeners.emit(CallRejected(self.name, "unavailable", None))
            raise CircuitOpenError(self.name, "unavailable") from exc
        except BaseException:
            # Cancelled mid-flight: the script may have granted a lease; drop it.
            self._background(self._record_redis(NO_PERMIT, IGNORED, token))
            raise
        self._observe(reply)
        if reply.code == 0:
            state = reply.state.value
            if self._listeners:
                self._listeners.emit(CallRejected(self.name, state, reply.retry_after))
            raise CircuitOpenError(self.name, state, retry_after=reply.retry_after)
        return reply.version, token if reply.code == 2 else ""

    async def _record_redis(self, version: int, code: int, token: str) -> None:
        assert self._redis is not None  # noqa: S101 - only called for Redis breakers
        if version == NO_PERMIT and not token:
            return
        try:
            reply = await self._redis.record(version, code, token)
        except self._store_errors as exc:
            self._store_failed("record", exc)
            return
        self._observe(reply)

    async def _call_redis(self, fn: Callable[P, Awaitable[T]], args: Any, kwargs: Any) -> T:
        version, token = await self._acquire_redis()
        start = self._now()
        try:
            value = await fn(*args, **kwargs)
        except Exception as exc:
            await self._record_redis(version, self._slowed(self._exc_code(exc), start), token)
            raise
        except BaseException:
            self._background(self._record_redis(version, IGNORED, token))
            raise
        await self._record_redis(version, self._slowed(self._value_code(value), start), token)
        return value
