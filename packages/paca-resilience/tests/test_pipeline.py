"""Pipeline: canonical order, raising and non-raising paths, with stand-in components.

The breaker and limiter here are small stand-ins that follow the contracts of
``CircuitBreaker.call`` and ``RateLimiter.acquire``; the real ones are tested
in ``test_pipeline_real.py``.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from paca.resilience._bulkhead import Bulkhead
from paca.resilience._clock import FakeClock
from paca.resilience._errors import BulkheadFullError, CircuitOpenError, RateLimitedError
from paca.resilience._pipeline import Pipeline
from paca.resilience._retry import RetryPolicy
from paca.resilience._timeout import Timeout
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class Decision(NamedTuple):
    allowed: bool
    retry_after: float | None
    remaining: int


class StandInLimiter:
    def __init__(self, log: list[str], *, allow: bool = True) -> None:
        self.log = log
        self.allow = allow
        self.requests: list[tuple[str, float, float | None]] = []

    async def acquire(
        self, key: str = "default", cost: float = 1, timeout: float | None = None
    ) -> Decision:
        self.log.append("limiter")
        self.requests.append((key, cost, timeout))
        if self.allow:
            return Decision(True, 0.0, 10)
        return Decision(False, 4.0, 0)


class StandInBreaker:
    def __init__(self, log: list[str], *, open_: bool = False) -> None:
        self.log = log
        self.open = open_
        self.calls = 0
        self.outcomes: list[str] = []

    async def call(self, fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> Any:
        self.log.append("breaker")
        if self.open:
            raise CircuitOpenError("stand-in", "open", retry_after=30.0)
        self.calls += 1
        try:
            value = await fn(*args, **kwargs)
        except Exception:
            self.outcomes.append("failure")
            raise
        self.outcomes.append("success")
        return value

    async def __aenter__(self) -> StandInBreaker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class RecordingBulkhead(Bulkhead):
    __slots__ = ("log",)

    def try_acquire(self) -> bool:
        self.log.append("bulkhead")
        return super().try_acquire()


class RecordingRetry(RetryPolicy):
    __slots__ = ("log",)

    async def call(self, fn: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> Any:
        self.log.append("retry")
        return await super().call(fn, *args, **kwargs)


class RecordingClock(FakeClock):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def sleep(self, seconds: float) -> Any:  # type: ignore[override]
        self.log.append("timeout")  # logged when the timer is armed
        return super().sleep(seconds)


def recording_components(log: list[str]) -> list[object]:
    bulkhead = RecordingBulkhead(4)
    bulkhead.log = log
    retry = RecordingRetry(attempts=2)
    retry.log = log
    return [
        Timeout(10, clock=RecordingClock(log)),
        StandInLimiter(log),
        bulkhead,
        StandInBreaker(log),
        retry,
    ]


@pytest.mark.parametrize("perm", list(itertools.permutations(range(5))))
async def test_canonical_order_whatever_the_list_order(perm: tuple[int, ...]) -> None:
    log: list[str] = []
    components = recording_components(log)

    async def fn() -> str:
        log.append("fn")
        return "done"

    pipeline = Pipeline([components[i] for i in perm])
    assert pipeline.order == ("timeout", "limiter", "bulkhead", "breaker", "retry")
    assert await pipeline.call(fn) == "done"
    assert log == ["timeout", "limiter", "bulkhead", "breaker", "retry", "fn"]


async def test_retry_runs_inside_the_breaker() -> None:
    log: list[str] = []
    breaker = StandInBreaker(log)
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionError("x")
        return "ok"

    pipeline = Pipeline([RetryPolicy(attempts=3, backoff="none"), breaker])
    assert await pipeline.call(flaky) == "ok"
    assert breaker.calls == 1
    assert breaker.outcomes == ["success"]
    assert attempts == 3


async def test_limiter_rejection_raises_and_skips_the_rest() -> None:
    log: list[str] = []
    limiter = StandInLimiter(log, allow=False)
    bulkhead = Bulkhead(1)
    pipeline = Pipeline([bulkhead, limiter], limiter_key="api", limiter_cost=2, limiter_timeout=0.5)
    ran = False

    async def fn() -> None:
        nonlocal ran
        ran = True

    with pytest.raises(RateLimitedError) as caught:
        await pipeline.call(fn)
    assert caught.value.retry_after == 4.0
    assert limiter.requests == [("api", 2, 0.5)]
    assert not ran
    assert bulkhead.active == 0
    result = await pipeline.execute(fn)
    assert result.kind is ErrorKind.RATE_LIMITED
    assert result.meta["retry_after"] == 4.0


async def test_limiter_without_timeout_is_asked_without_it() -> None:
    seen: list[dict[str, Any]] = []

    class Minimal:
        async def acquire(self, key: str = "default", cost: float = 1) -> Decision:
            seen.append({"key": key, "cost": cost})
            return Decision(True, 0.0, 1)

    pipeline = Pipeline([Minimal()])
    assert pipeline.order == ("limiter",)
    assert (await pipeline.execute(asyncio.sleep, 0, "v")).data == "v"
    assert seen == [{"key": "default", "cost": 1}]


async def test_timeout_bounds_the_whole_call_with_a_fake_clock() -> None:
    clock = FakeClock()
    pipeline = Pipeline(
        [RetryPolicy(attempts=5, clock=clock, backoff="none"), Timeout(3, clock=clock)]
    )
    task = asyncio.ensure_future(pipeline.execute(clock.sleep, 100))
    await clock.advance(5)
    result = await task
    assert result.kind is ErrorKind.TIMEOUT


async def test_attempt_timeout_inside_retry() -> None:
    clock = FakeClock()
    calls = 0

    async def slow_once() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await clock.sleep(100)
        return "ok"

    pipeline = Pipeline([RetryPolicy(attempt_timeout=1, clock=clock, backoff="none"), Bulkhead(1)])
    task = asyncio.ensure_future(pipeline.call(slow_once))
    for _ in range(10):
        await clock.advance(0.5)
    assert await task == "ok"
    assert calls == 2


async def raise_conn() -> None:
    raise ConnectionError("down")


async def raise_bug() -> None:
    raise ValueError("bug")


async def return_failed() -> Result[Any]:
    return Result.fail("gone", ErrorKind.NOT_FOUND)


@pytest.mark.parametrize(
    ("build", "fn", "kind"),
    [
        (lambda log: [StandInBreaker(log, open_=True)], return_failed, ErrorKind.CIRCUIT_OPEN),
        (lambda log: [StandInLimiter(log, allow=False)], return_failed, ErrorKind.RATE_LIMITED),
        (lambda log: [Timeout(0)], lambda: asyncio.Event().wait(), ErrorKind.TIMEOUT),
        (lambda log: [RetryPolicy(attempts=1)], raise_conn, ErrorKind.CONNECTION),
        (lambda log: [StandInBreaker(log)], raise_bug, ErrorKind.UNKNOWN),
        (lambda log: [Bulkhead(1)], return_failed, ErrorKind.NOT_FOUND),
        (lambda log: [], raise_conn, ErrorKind.CONNECTION),
    ],
)
async def test_execute_never_raises_for_outside_failures(
    build: Callable[[list[str]], list[object]], fn: Callable[[], Awaitable[Any]], kind: ErrorKind
) -> None:
    result = await Pipeline(build([])).execute(fn)
    assert not result.is_success
    assert result.kind is kind


async def test_execute_reports_a_full_bulkhead() -> None:
    bulkhead = Bulkhead(1)
    assert bulkhead.try_acquire()
    result = await Pipeline([bulkhead]).execute(asyncio.sleep, 0)
    assert result.kind is ErrorKind.UNAVAILABLE
    assert isinstance(result.cause, BulkheadFullError)


async def test_execute_propagates_cancellation() -> None:
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    bulkhead = Bulkhead(1)
    task = asyncio.ensure_future(Pipeline([bulkhead, RetryPolicy()]).execute(hang))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert bulkhead.active == 0


async def test_execute_passes_results_through() -> None:
    async def ok() -> Result[int]:
        return Result.ok(1)

    assert await Pipeline([Bulkhead(2)]).execute(ok) == Result.ok(1)
    assert await Pipeline().execute(asyncio.sleep, 0, 2) == Result.ok(2)


def test_two_of_a_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="one timeout"):
        Pipeline([Timeout(1), Timeout(2)])


def test_unknown_component_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="int"):
        Pipeline([3])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"limiter_cost": 0}, "limiter_cost"), ({"limiter_timeout": -1}, "limiter_timeout")],
)
def test_invalid_configuration(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Pipeline([], **kwargs)


def test_repr_and_components() -> None:
    timeout, bulkhead = Timeout(1), Bulkhead(1)
    pipeline = Pipeline([bulkhead, timeout], name="api")
    assert pipeline.components == (timeout, bulkhead)
    assert repr(pipeline).startswith("Pipeline([Timeout(1s")
