"""``RetryPolicy``: retry failed calls with jittered backoff, on tenacity's strategies.

The first attempt runs directly, outside tenacity's machinery, so a call
that succeeds costs one ``try`` and one ``isinstance`` more than a bare
``await``. Only after a failed attempt does the policy build a tenacity
``RetryCallState`` and ask the composed tenacity ``stop`` and ``wait``
strategies what to do; every wait goes through the injected clock.

What is retried is decided by the helpers of :mod:`paca.resilience._retry_classify`
(retryable kinds, ``retry_on``, ``retry_if_result``) and by the two methods
``_failed_value`` and ``_retryable`` here, kept on the class for the first attempt's path.

``asyncio.CancelledError`` (and every ``BaseException`` that is not an
``Exception``) is never retried, never counted, never swallowed.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import tenacity

from paca.resilience._backoff import build_wait
from paca.resilience._clock import Clock, MonotonicClock
from paca.resilience._errors import classify, failure_from
from paca.resilience._listeners import Listeners
from paca.resilience._retry_classify import (
    RETRYABLE_KINDS,
    exception_test,
    kind_of,
    retry_after_of,
)
from paca.resilience._retry_events import (
    RetryEvent,
    RetryGaveUp,
    RetryScheduled,
    describe_failure,
)
from paca.resilience._timeout import check_seconds, run_within
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from tenacity.stop import stop_base
    from tenacity.wait import wait_base

    from paca.resilience._budget import RetryBudget

__all__ = ["Backoff", "RetryEvent", "RetryGaveUp", "RetryPolicy", "RetryScheduled"]

T = TypeVar("T")
Backoff = Literal["full", "decorrelated", "exponential", "none"]
_ONE_ATTEMPT = {"attempts": 1}


class RetryPolicy:
    """Retry an async call on retryable failures, with jittered backoff.

    Args:
        attempts: Attempts in total, the first included (``>= 1``).
        deadline: Seconds for the whole call, waits included: no retry
            starts whose wait would end after it, and each attempt gets at
            most the time left (it is cancelled at the deadline).
        attempt_timeout: Seconds for one attempt; a late attempt is
            cancelled and counts as a ``TIMEOUT`` failure (retryable).
        backoff: ``"full"`` jitter (the default), ``"decorrelated"``
            jitter, plain ``"exponential"`` or ``"none"``.
        base_delay: The first backoff window, in seconds.
        max_delay: The largest backoff delay, in seconds.
        retry_on: Exception types, or a predicate on the exception, that
            decide which exceptions are retried. Default: exceptions whose
            classified kind is in ``retry_kinds``.
        retry_kinds: The kinds retried (for exceptions without
            ``retry_on``, and for failed ``Result`` values). Default: every
            kind whose ``is_retryable`` is true.
        retry_if_result: A predicate on returned values; when given, it
            alone decides whether a value is retried. Default: a failed
            ``Result`` whose kind is in ``retry_kinds``.
        respect_retry_after: Wait at least the ``Retry-After`` a failure
            carries (a ``retry_after`` attribute on the exception, or
            ``result.meta["retry_after"]``; seconds or an HTTP-date).
        max_retry_after: The cap on a ``Retry-After`` wait, in seconds.
        budget: A :class:`RetryBudget` shared with other policies; a retry
            needs a token from it, a success deposits into it.
        stop: An extra tenacity stop strategy, OR-ed with ``attempts`` and
            ``deadline`` (e.g. ``tenacity.stop_after_delay(30)``).
        wait: A tenacity wait strategy replacing ``backoff``.
        clock: Waits and deadlines use it (default ``MonotonicClock()``).
        rng: The random source of the jitter (seed one in tests).
        name: A label for events and reprs.

    Raises:
        ValueError: If a parameter is out of range; the message names it.

    Example:
        >>> policy = RetryPolicy(attempts=4, base_delay=0.2, attempt_timeout=2.0)
        >>> # value = await policy.call(fetch, url)      # raises the last error
        >>> # result = await policy.execute(fetch, url)  # result.meta["attempts"]
    """

    __slots__ = (
        "_attempt_timeout",
        "_budget",
        "_clock",
        "_deadline",
        "_exc_test",
        "_kinds",
        "_listeners",
        "_max_retry_after",
        "_plain",
        "_respect_retry_after",
        "_retrying",
        "_stop",
        "_value_test",
        "_wait",
        "attempts",
        "name",
    )

    def __init__(
        self,
        *,
        attempts: int = 3,
        deadline: float | None = None,
        attempt_timeout: float | None = None,
        backoff: Backoff = "full",
        base_delay: float = 0.1,
        max_delay: float = 10.0,
        retry_on: type[BaseException]
        | tuple[type[BaseException], ...]
        | Callable[[Exception], bool]
        | None = None,
        retry_kinds: Iterable[ErrorKind] | None = None,
        retry_if_result: Callable[[Any], bool] | None = None,
        respect_retry_after: bool = True,
        max_retry_after: float = 60.0,
        budget: RetryBudget | None = None,
        stop: stop_base | None = None,
        wait: wait_base | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        name: str = "retry",
    ) -> None:
        if isinstance(attempts, bool) or not isinstance(attempts, int):
            msg = f"attempts must be an int, got {type(attempts).__name__}"
            raise TypeError(msg)
        if attempts < 1:
            msg = f"attempts must be >= 1, got {attempts!r}"
            raise ValueError(msg)
        for label, value in (("deadline", deadline), ("attempt_timeout", attempt_timeout)):
            if check_seconds(label, value) == 0:
                msg = f"{label} must be > 0, got {value!r}"
                raise ValueError(msg)
        base = cast("float", check_seconds("base_delay", base_delay, allow_none=False))
        cap = cast("float", check_seconds("max_delay", max_delay, allow_none=False))
        self.attempts = attempts
        self.name = name
        self._deadline = deadline
        self._attempt_timeout = attempt_timeout
        self._plain = deadline is None and attempt_timeout is None
        self._max_retry_after = check_seconds("max_retry_after", max_retry_after, allow_none=False)
        self._respect_retry_after = respect_retry_after
        self._budget = budget
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._kinds = RETRYABLE_KINDS if retry_kinds is None else frozenset(retry_kinds)
        if not all(isinstance(kind, ErrorKind) for kind in self._kinds):
            msg = "retry_kinds must hold ErrorKind values"
            raise TypeError(msg)
        self._exc_test = None if retry_on is None else exception_test(retry_on)
        self._value_test = retry_if_result
        jitter_rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter, not crypto
        self._wait: wait_base = (
            wait if wait is not None else build_wait(backoff, base, cap, jitter_rng)
        )
        composed: stop_base = tenacity.stop_after_attempt(attempts)
        if deadline is not None:
            composed = composed | tenacity.stop_before_delay(deadline)
        if stop is not None:
            composed = composed | stop
        self._stop = composed
        self._retrying = tenacity.AsyncRetrying(
            stop=composed, wait=self._wait, sleep=self._clock.sleep, reraise=True
        )
        self._listeners: Listeners[RetryEvent] = Listeners()

    def add_listener(self, listener: Callable[[RetryEvent], object]) -> Callable[[], None]:
        """Call ``listener`` with each :class:`RetryScheduled` / :class:`RetryGaveUp`.

        A listener that raises is logged and ignored.

        Returns:
            A function that removes the listener.
        """
        return self._listeners.add(listener)

    # -- public API ----------------------------------------------------------

    async def call(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)``, retrying retryable failures.

        Args:
            fn: An async function.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            What the last attempt returned (a failed ``Result`` when the
            retries on it ran out).

        Raises:
            Exception: The last attempt's exception, unchanged.
        """
        if self._plain:  # fast path: the first attempt is a bare await
            try:
                value = await fn(*args, **kwargs)
            except Exception as exc:
                error, value, _ = await self._after_failure(fn, args, kwargs, 0.0, 1, exc, None)
                if error is not None:
                    raise error from None
                return cast("T", value)
            if self._failed_value(value):
                error, value, _ = await self._after_failure(fn, args, kwargs, 0.0, 1, None, value)
                if error is not None:
                    raise error from None
            elif self._budget is not None:
                self._budget.deposit()
            return value
        error, value, _ = await self._run(fn, args, kwargs)
        if error is not None:
            raise error from None
        return cast("T", value)

    async def execute(
        self, fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any
    ) -> Result[Any]:
        """Like :meth:`call`, but never raise for an outside failure.

        Returns:
            ``Result.ok(value)``, or ``fn``'s own ``Result``, or the failure
            built from the last exception; ``meta["attempts"]`` says how many
            attempts ran. A value rejected by ``retry_if_result`` on the
            last attempt is returned as ``Result.ok`` too. Cancellation
            propagates.
        """
        if self._plain:
            try:
                value = await fn(*args, **kwargs)
            except Exception as exc:
                error, value, attempts = await self._after_failure(
                    fn, args, kwargs, 0.0, 1, exc, None
                )
            else:
                if not self._failed_value(value):
                    if self._budget is not None:
                        self._budget.deposit()
                    if isinstance(value, Result):
                        return value.with_meta(attempts=1)
                    return Result.ok(value, meta=_ONE_ATTEMPT)
                error, value, attempts = await self._after_failure(
                    fn, args, kwargs, 0.0, 1, None, value
                )
        else:
            error, value, attempts = await self._run(fn, args, kwargs)
        if error is not None:
            return failure_from(error, attempts=attempts)
        if isinstance(value, Result):
            return value.with_meta(attempts=attempts)
        return Result.ok(value, meta={"attempts": attempts})

    # -- the retry loop ------------------------------------------------------

    def _failed_value(self, value: object) -> bool:
        if self._value_test is not None:
            return bool(self._value_test(value))
        return isinstance(value, Result) and not value.is_success and value.kind in self._kinds

    def _retryable(self, error: Exception | None) -> bool:
        if error is None:
            return True  # a value only gets here when _failed_value said so
        if self._exc_test is not None:
            return self._exc_test(error)
        return classify(error) in self._kinds

    def _attempt_limit(self, start: float) -> float | None:
        if self._deadline is None:
            return self._attempt_timeout
        left = self._deadline - (self._clock.now() - start)
        if self._attempt_timeout is not None:
            left = min(left, self._attempt_timeout)
        return left

    async def _attempt(
        self,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        limit: float | None,
    ) -> Any:
        if limit is None:
            return await fn(*args, **kwargs)
        return await run_within(self._clock, limit, fn(*args, **kwargs))

    async def _run(
        self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Exception | None, Any, int]:
        start = self._clock.now()
        try:
            value = await self._attempt(fn, args, kwargs, self._attempt_limit(start))
        except Exception as exc:
            return await self._after_failure(fn, args, kwargs, start, 1, exc, None)
        if self._failed_value(value):
            return await self._after_failure(fn, args, kwargs, start, 1, None, value)
        if self._budget is not None:
            self._budget.deposit()
        return None, value, 1

    async def _after_failure(
        self,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        start: float,
        attempt: int,
        error: Exception | None,
        value: Any,
    ) -> tuple[Exception | None, Any, int]:
        """Decide and run retries after attempt ``attempt`` failed.

        Returns ``(error, value, attempts)`` of the last attempt: ``error`` is
        ``None`` when it returned ``value``.
        """
        clock = self._clock
        if self._plain:
            start = clock.now()  # the fast path did not read the clock
        state = tenacity.RetryCallState(self._retrying, fn, args, kwargs)
        state.start_time = start
        while True:
            if not self._retryable(error):
                return error, value, attempt
            kind = kind_of(error, value)
            state.attempt_number = attempt
            state.outcome = tenacity.Future.construct(
                attempt, error if error is not None else value, error is not None
            )
            state.outcome_timestamp = clock.now()
            delay = float(self._wait(state))
            if self._respect_retry_after:
                hinted = retry_after_of(error, value, self._max_retry_after)
                if hinted is not None and hinted > delay:
                    delay = hinted
            state.upcoming_sleep = delay
            if self._stop(state):
                self._gave_up(attempt, kind, "stopped")
                return error, value, attempt
            if self._budget is not None and not self._budget.try_withdraw():
                self._gave_up(attempt, kind, "budget")
                return error, value, attempt
            if self._listeners:
                described = describe_failure(error, value)
                self._listeners.emit(RetryScheduled(self.name, attempt, delay, kind, described))
            state.idle_for += delay
            await clock.sleep(delay)
            attempt += 1
            limit = self._attempt_limit(start)
            if limit is not None and limit <= 0:  # the deadline passed while waiting
                self._gave_up(attempt - 1, kind, "stopped")
                return error, value, attempt - 1
            error = value = None
            try:
                value = await self._attempt(fn, args, kwargs, limit)
            except Exception as exc:
                error = exc
                continue
            if not self._failed_value(value):
                if self._budget is not None:
                    self._budget.deposit()
                return None, value, attempt

    def _gave_up(self, attempts: int, kind: ErrorKind, reason: str) -> None:
        if self._listeners:
            self._listeners.emit(RetryGaveUp(self.name, attempts, kind, reason))

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(name={self.name!r}, attempts={self.attempts}, "
            f"deadline={self._deadline!r}, attempt_timeout={self._attempt_timeout!r})"
        )
