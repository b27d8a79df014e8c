"""The pipeline's fused step: every component of this package in one coroutine frame.

:class:`~paca.resilience.Pipeline` builds a chain of closures, one coroutine
per component. When every component is one of this package's own (exact
types: a subclass may override what it does), :func:`fused_step` replaces that
chain by one coroutine doing the same work in the same order::

    Timeout → RateLimiter → Bulkhead → CircuitBreaker → RetryPolicy → fn

Each block below is the body of the corresponding chain step or method,
inlined: the overall timeout's deadline bookkeeping (``Timeout.call``), the
limiter's ``admit_now`` then ``acquire``, the bulkhead's ``try_acquire`` /
``acquire`` / ``release``, the in-memory breaker's permit and outcome
recording (``CircuitBreaker.call``), and the retry policy's first attempt
(``RetryPolicy.call``: only a failure enters the retry loop). A call costs
one coroutine frame instead of one per component, which also makes every
suspension of ``fn`` cheaper to resume (each frame of the chain is resumed on
each wake-up).

Components the fused step does not inline (a Redis-backed breaker, a timeout
on a fake clock, stand-ins, subclasses) leave the pipeline on its chain; a
timeout on a fake clock wraps the fused rest. ``tests/test_pipeline_fused.py``
runs the same scenarios through both and compares outcomes, states and events.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from paca.resilience._breaker import CircuitBreaker
from paca.resilience._breaker_machine import SUCCESS
from paca.resilience._bulkhead import Bulkhead
from paca.resilience._errors import RateLimitedError
from paca.resilience._limiter import RateLimiter
from paca.resilience._retry import RetryPolicy
from paca.resilience._timeout import Timeout
from paca.result import Result

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    _Fn = Callable[..., Awaitable[Any]]
    _Step = Callable[[_Fn, tuple[Any, ...], dict[str, Any]], Awaitable[Any]]

__all__ = ["fusable", "fused_step"]

_INLINED = (Timeout, RateLimiter, Bulkhead, CircuitBreaker, RetryPolicy)


def fusable(components: dict[str, object]) -> bool:
    """Whether :func:`fused_step` can run ``components`` (by role) in one frame."""
    for component in components.values():
        if type(component) not in _INLINED:
            return False
        if isinstance(component, CircuitBreaker) and component._redis is not None:
            return False
    return True


def fused_step(  # noqa: PLR0915 - one frame on purpose: see the module docstring
    components: dict[str, Any], key: str, cost: float, timeout: float | None
) -> _Step:
    """Return the fused step for ``components`` (see :func:`fusable`).

    A ``Timeout`` on a fake clock is not inlined: the caller wraps the returned
    step in the chain's timeout step (``components`` then has no ``"timeout"``).
    """
    deadline: Timeout | None = components.get("timeout")
    limiter: RateLimiter | None = components.get("limiter")
    bulkhead: Bulkhead | None = components.get("bulkhead")
    breaker: CircuitBreaker | None = components.get("breaker")
    retry: RetryPolicy | None = components.get("retry")

    deadlines = None if deadline is None else deadline._deadlines
    enter: Any = None
    leave: Any = None
    message = ""
    if deadline is not None and deadlines is not None:
        enter, leave, message = deadlines.enter, deadlines.leave, deadline._message

    admit_now: Any = None
    acquire: Any = None
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    if limiter is not None:
        admit_now, acquire = limiter.admit_now, limiter.acquire

    try_slot: Any = None
    wait_slot: Any = None
    release: Any = None
    if bulkhead is not None:
        try_slot, wait_slot, release = bulkhead.try_acquire, bulkhead.acquire, bulkhead.release

    machine: Any = None
    settle: Any = None
    exc_code: Any = None
    value_code: Any = None
    now: Any = None
    rejected: Any = None
    custom_result = False
    if breaker is not None:
        machine = breaker._machine
        settle, exc_code, value_code = breaker._settle, breaker._exc_code, breaker._value_code
        now, rejected = breaker._now, breaker._rejected
        custom_result = breaker._custom_result

    plain = False
    retry_call: Any = None
    after_failure: Any = None
    failed_value: Any = None
    value_test: Any = None
    budget: Any = None
    if retry is not None:
        plain = retry._plain
        retry_call, after_failure = retry.call, retry._after_failure
        failed_value, value_test = retry._failed_value, retry._value_test
        budget = retry._budget

    async def fused(  # noqa: PLR0912, PLR0915 - one frame on purpose
        fn: _Fn, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        entry = enter() if enter is not None else None
        try:
            # -- RateLimiter (the chain's limiter step)
            if admit_now is not None and not admit_now(key, cost):
                decision = await acquire(key=key, cost=cost, **extra)
                if not decision.allowed:
                    msg = f"rate limited (key={key!r})"
                    raise RateLimitedError(msg, retry_after=decision.retry_after)
            # -- Bulkhead (the chain's bulkhead step)
            if try_slot is not None and not try_slot():
                await wait_slot()
            try:
                # -- CircuitBreaker.call, in memory: the permit
                if machine is not None:
                    fast = machine.fast
                    if fast:
                        epoch, start = machine.epoch, 0.0
                    else:
                        start = now()
                        epoch = machine.acquire(start)
                        if epoch < 0:
                            raise rejected(start)
                try:
                    # -- RetryPolicy.call: the first attempt, outside the retry loop
                    if plain:
                        try:
                            value = await fn(*args, **kwargs)
                        except Exception as exc:
                            error, value, _ = await after_failure(
                                fn, args, kwargs, 0.0, 1, exc, None
                            )
                            if error is not None:
                                raise error from None
                        else:
                            if (
                                value_test is not None or isinstance(value, Result)
                            ) and failed_value(value):
                                error, value, _ = await after_failure(
                                    fn, args, kwargs, 0.0, 1, None, value
                                )
                                if error is not None:
                                    raise error from None
                            elif budget is not None:
                                budget.deposit()
                    elif retry_call is not None:
                        value = await retry_call(fn, *args, **kwargs)
                    else:
                        value = await fn(*args, **kwargs)
                except BaseException as exc:
                    if machine is not None:
                        settle(epoch, exc_code(exc), start)
                    raise
                # -- CircuitBreaker.call, in memory: the outcome
                if machine is not None:
                    if not fast:
                        settle(epoch, value_code(value), start)
                    elif custom_result or isinstance(value, Result):
                        code = value_code(value)
                        if code != SUCCESS or not machine.record_success(epoch):
                            settle(epoch, code, 0.0)
                    elif not machine.noop and not machine.record_success(epoch):
                        machine.record(epoch, SUCCESS, now())
            finally:
                if release is not None:
                    release()
        except BaseException as exc:
            if entry is not None and leave(entry) and isinstance(exc, asyncio.CancelledError):
                raise TimeoutError(message) from None
            raise
        if entry is not None:
            leave(entry)
        return value

    return fused
