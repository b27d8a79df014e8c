"""``Pipeline``: compose resilience components in one canonical order.

Whatever order the components are listed in, every call goes through them
outermost first as::

    Timeout → RateLimiter → Bulkhead → CircuitBreaker → RetryPolicy (→ attempt timeout) → fn

- the overall ``Timeout`` bounds everything, waits in the limiter and the
  bulkhead queue included;
- the ``RateLimiter`` comes before the ``Bulkhead``, so a call the limiter
  rejects never takes (or queues for) a concurrency slot;
- the ``Bulkhead`` comes before the ``CircuitBreaker``, so queued calls do
  not count against the breaker, and an open breaker frees the slot at once;
- the ``RetryPolicy`` runs inside the breaker: the breaker sees one outcome
  per call, retries included; its ``attempt_timeout`` bounds each attempt.

The chain of closures is built once, at construction; a call costs one
coroutine frame per component. When every component is this package's own,
the chain is replaced by one fused coroutine doing the same work in one frame
(:mod:`paca.resilience._pipeline_fused`). Components are recognised by type:
``Timeout``, ``RetryPolicy`` and ``Bulkhead`` of this package; the package's
``CircuitBreaker`` and ``RateLimiter`` (imported lazily); and, failing those,
any object with an ``acquire(key=, cost=)`` coroutine returning a decision
(``allowed``, ``retry_after``) as a limiter, or with a ``call(fn, *args,
**kwargs)`` coroutine as a breaker.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from paca.resilience._bulkhead import Bulkhead
from paca.resilience._errors import RateLimitedError
from paca.resilience._execute import failure_result, value_result
from paca.resilience._pipeline_fused import fusable, fused_step
from paca.resilience._retry import RetryPolicy
from paca.resilience._timeout import Timeout, run_within

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from paca.result import Result

__all__ = ["BreakerLike", "LimiterLike", "Pipeline"]

T = TypeVar("T")

#: Execution order, outermost first.
ORDER = ("timeout", "limiter", "bulkhead", "breaker", "retry")


class DecisionLike(Protocol):
    """What a limiter's ``acquire`` returns."""

    @property
    def allowed(self) -> bool:
        """Whether the call was admitted."""
        ...

    @property
    def retry_after(self) -> float | None:
        """Seconds until a retry may be admitted, if known."""
        ...


@runtime_checkable
class LimiterLike(Protocol):
    """A rate limiter as the pipeline uses it."""

    async def acquire(self, key: str = "default", cost: float = 1) -> DecisionLike:
        """Ask to admit one call of ``cost`` under ``key``."""
        ...


@runtime_checkable
class BreakerLike(Protocol):
    """A circuit breaker as the pipeline uses it."""

    async def call(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` if the circuit admits it; raise ``CircuitOpenError`` if not."""
        ...


def _optional_class(module: str, name: str) -> type | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if isinstance(found, type) else None


def _role(component: object) -> str:
    if isinstance(component, Timeout):
        return "timeout"
    if isinstance(component, RetryPolicy):
        return "retry"
    if isinstance(component, Bulkhead):
        return "bulkhead"
    breaker = _optional_class("paca.resilience._breaker", "CircuitBreaker")
    if breaker is not None and isinstance(component, breaker):
        return "breaker"
    limiter = _optional_class("paca.resilience._limiter", "RateLimiter")
    if limiter is not None and isinstance(component, limiter):
        return "limiter"
    if isinstance(component, LimiterLike):
        return "limiter"
    if isinstance(component, BreakerLike):
        return "breaker"
    msg = (
        "Pipeline components must be Timeout, RateLimiter, Bulkhead, CircuitBreaker or "
        f"RetryPolicy, got {type(component).__name__}"
    )
    raise TypeError(msg)


async def _invoke(
    fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    return await fn(*args, **kwargs)


class Pipeline:
    """Run calls through resilience components in the canonical order.

    Args:
        components: At most one of each: ``Timeout``, ``RateLimiter``,
            ``Bulkhead``, ``CircuitBreaker``, ``RetryPolicy``, in any order.
        limiter_key: The rate-limit key this pipeline's calls draw from.
        limiter_cost: What one call costs the limiter.
        limiter_timeout: Passed to the limiter's ``acquire(timeout=)``: how
            long a call may wait for admission (``None``: the limiter's
            default).
        name: A label for reprs.

    Raises:
        TypeError: For an object that is none of the components.
        ValueError: For two components of the same kind, or a bad
            ``limiter_cost``.

    Example:
        >>> pipeline = Pipeline([RetryPolicy(attempts=3), Timeout(5.0)])
        >>> pipeline.order
        ('timeout', 'retry')
        >>> # value = await pipeline.call(fetch, url)       # raises
        >>> # result = await pipeline.execute(fetch, url)   # never raises
    """

    __slots__ = ("_chain", "_components", "limiter_cost", "limiter_key", "limiter_timeout", "name")

    def __init__(
        self,
        components: Iterable[object] = (),
        *,
        limiter_key: str = "default",
        limiter_cost: float = 1,
        limiter_timeout: float | None = None,
        name: str = "pipeline",
    ) -> None:
        if not limiter_cost > 0:
            msg = f"limiter_cost must be > 0, got {limiter_cost!r}"
            raise ValueError(msg)
        if limiter_timeout is not None and not limiter_timeout >= 0:
            msg = f"limiter_timeout must be >= 0, got {limiter_timeout!r}"
            raise ValueError(msg)
        by_role: dict[str, object] = {}
        for component in components:
            role = _role(component)
            if role in by_role:
                msg = f"a Pipeline takes one {role}, got two: {by_role[role]!r} and {component!r}"
                raise ValueError(msg)
            by_role[role] = component
        self._components = {role: by_role[role] for role in ORDER if role in by_role}
        self.limiter_key = limiter_key
        self.limiter_cost = limiter_cost
        self.limiter_timeout = limiter_timeout
        self.name = name
        self._chain = self._build()  # also validates limiter_cost against the limiter
        if fusable(self._components):
            self._chain = self._fuse()

    @property
    def order(self) -> tuple[str, ...]:
        """The kinds of component each call passes through, outermost first."""
        return tuple(self._components)

    @property
    def components(self) -> tuple[object, ...]:
        """The components in execution order, outermost first."""
        return tuple(self._components.values())

    def _build(self) -> _Step:
        step: _Step = _invoke
        for role in reversed(self._components):
            component: Any = self._components[role]
            if role == "retry":
                step = _retry_step(component, step)
            elif role == "breaker":
                step = _breaker_step(component, step)
            elif role == "bulkhead":
                step = _bulkhead_step(component, step)
            elif role == "limiter":
                step = self._limiter_step(component, step)
            else:
                step = _timeout_step(component, step)
        return step

    def _fuse(self) -> _Step:
        components = dict(self._components)
        timeout: Timeout | None = components.get("timeout")  # type: ignore[assignment]
        if timeout is not None and timeout._deadlines is None:
            del components["timeout"]
            rest = fused_step(components, self.limiter_key, self.limiter_cost, self.limiter_timeout)
            return _timeout_step(timeout, rest)
        return fused_step(components, self.limiter_key, self.limiter_cost, self.limiter_timeout)

    def _limiter_step(self, limiter: LimiterLike, inner: _Step) -> _Step:
        key, cost, timeout = self.limiter_key, self.limiter_cost, self.limiter_timeout
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        acquire = limiter.acquire
        # The package's RateLimiter admits in memory without a coroutine when it can; its
        # cost is then validated here, once, instead of on every call.
        admit_now = getattr(limiter, "admit_now", None)
        capacity = getattr(limiter, "capacity", None)
        if admit_now is not None and capacity is not None and not 0 < cost <= capacity:
            msg = f"limiter_cost {cost!r} exceeds the limiter's capacity {capacity!r}"
            raise ValueError(msg)

        async def limited(fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if admit_now is not None and admit_now(key, cost):
                return await inner(fn, args, kwargs)
            decision = await acquire(key=key, cost=cost, **extra)
            if not decision.allowed:
                message = f"rate limited (key={key!r})"
                raise RateLimitedError(message, retry_after=decision.retry_after)
            return await inner(fn, args, kwargs)

        return limited

    async def call(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` through every component.

        Args:
            fn: The async function to protect.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            What ``fn`` returned (on its last attempt, after retries).

        Raises:
            TimeoutError: The overall timeout passed.
            RateLimitedError: The limiter did not admit the call.
            BulkheadFullError: The bulkhead had no slot or queue place.
            CircuitOpenError: The breaker rejected the call.
            Exception: ``fn``'s own last exception, after retries.
        """
        value: T = await self._chain(fn, args, kwargs)
        return value

    async def execute(
        self, fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any
    ) -> Result[Any]:
        """Like :meth:`call`, but return every outside failure as a ``Result``.

        Returns:
            ``Result.ok(value)`` (or ``fn``'s own ``Result``, as returned), or
            the classified failure (``TIMEOUT``, ``RATE_LIMITED``,
            ``UNAVAILABLE`` for a full bulkhead, ``CIRCUIT_OPEN``, or the
            kind of ``fn``'s exception). Cancellation propagates.
        """
        try:
            value = await self._chain(fn, args, kwargs)
        except Exception as exc:
            return failure_result(exc)
        return value_result(value)

    def __repr__(self) -> str:
        inner = ", ".join(repr(c) for c in self._components.values())
        return f"Pipeline([{inner}], name={self.name!r})"


if TYPE_CHECKING:
    _Fn = Callable[..., Awaitable[Any]]
    _Step = Callable[[_Fn, tuple[Any, ...], dict[str, Any]], Awaitable[Any]]


def _retry_step(retry: RetryPolicy, inner: _Step) -> _Step:
    call = retry.call
    if inner is _invoke:

        async def retried(fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return await call(fn, *args, **kwargs)

        return retried

    async def retried_chain(
        fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:  # pragma: no cover - retry is innermost
        return await call(inner, fn, args, kwargs)

    return retried_chain


def _breaker_step(breaker: BreakerLike, inner: _Step) -> _Step:
    call = breaker.call
    if inner is _invoke:

        async def guarded(fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return await call(fn, *args, **kwargs)

        return guarded

    async def guarded_chain(fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return await call(inner, fn, args, kwargs)

    return guarded_chain


def _bulkhead_step(bulkhead: Bulkhead, inner: _Step) -> _Step:
    try_acquire, acquire, release = bulkhead.try_acquire, bulkhead.acquire, bulkhead.release

    async def bounded(fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not try_acquire():
            await acquire()
        try:
            return await inner(fn, args, kwargs)
        finally:
            release()

    return bounded


def _timeout_step(timeout: Timeout, inner: _Step) -> _Step:
    deadlines, clock, message = timeout._deadlines, timeout._clock, timeout._message

    if deadlines is not None:
        enter, leave = deadlines.enter, deadlines.leave

        async def bounded(fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            entry = enter()
            try:
                value = await inner(fn, args, kwargs)
            except BaseException as exc:
                if leave(entry) and isinstance(exc, asyncio.CancelledError):
                    raise TimeoutError(message) from None
                raise
            leave(entry)
            return value

        return bounded

    seconds = timeout.seconds

    async def raced(fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return await run_within(clock, seconds, inner(fn, args, kwargs))

    return raced
