"""The fused pipeline step behaves exactly like the chain of one coroutine per component.

Each scenario runs twice on fresh, identically configured components: once
through the pipeline as built (the fused step, :mod:`paca.resilience._pipeline_fused`)
and once through the chain of closures (``Pipeline._build()``). Outcomes (values,
exception types, messages and ``retry_after``), every event of every component
and the final breaker metrics and bulkhead stats must be equal.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paca.resilience import (
    Bulkhead,
    CircuitBreaker,
    FakeClock,
    Pipeline,
    RateLimiter,
    RetryBudget,
    RetryPolicy,
    Timeout,
)
from paca.resilience._pipeline_fused import fusable
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

OUTCOMES = ("ok", "ok_result", "failed_result", "connection", "value_error", "slow", "ignored")
BREAKERS = ("none", "count", "time_slow", "record_result", "consecutive")
RETRIES = ("none", "plain", "deadline", "value_test", "budget")


class IgnoredError(Exception):
    """An exception the breaker is configured to ignore."""


def is_fused(pipeline: Pipeline) -> bool:
    """Whether the pipeline runs the fused step (alone, or inside a fake-clock timeout)."""
    chain: Any = pipeline._chain
    steps = [chain, *(cell.cell_contents for cell in chain.__closure__ or ())]
    return any(getattr(s, "__qualname__", "").startswith("fused_step.") for s in steps)


def build(
    clock: FakeClock, breaker: str, retry: str, *, limiter: bool, bulkhead: bool, timeout: bool
) -> tuple[list[object], list[object]]:
    """Fresh components and the list their events are appended to."""
    events: list[object] = []
    components: list[object] = []
    if breaker != "none":
        options: dict[str, Any] = {
            "count": {"window_size": 4, "minimum_calls": 2, "open_duration": 5},
            "time_slow": {
                "window_type": "time",
                "window_size": 10,
                "minimum_calls": 2,
                "slow_call_duration": 1.0,
                "open_duration": 5,
            },
            "record_result": {
                "window_size": 4,
                "minimum_calls": 2,
                "record_result": lambda v: isinstance(v, Result) and not v.is_success,
            },
            "consecutive": {"consecutive_failures": 2, "open_duration": 3},
        }[breaker]
        made = CircuitBreaker(
            "b", clock=clock, rng=random.Random(7), ignore_exceptions=(IgnoredError,), **options
        )
        made.add_listener(events.append)
        components.append(made)
    if retry != "none":
        retry_options: dict[str, Any] = {
            "plain": {},
            "deadline": {"deadline": 30.0},
            "value_test": {"retry_if_result": lambda v: v == "again"},
            "budget": {"budget": RetryBudget(2, deposit_per_success=0.5, clock=clock)},
        }[retry]
        policy = RetryPolicy(
            attempts=2, backoff="none", clock=clock, rng=random.Random(3), **retry_options
        )
        policy.add_listener(events.append)
        components.append(policy)
    if limiter:
        made_limiter = RateLimiter(3, per=1.0, clock=clock)
        made_limiter.add_listener(events.append)
        components.append(made_limiter)
    if bulkhead:
        made_bulkhead = Bulkhead(2, max_queue=1, clock=clock)
        made_bulkhead.add_listener(events.append)
        components.append(made_bulkhead)
    if timeout:
        components.append(Timeout(60, clock=clock))
    return components, events


def attempt_fn(clock: FakeClock, outcomes: list[str]) -> Callable[[], Awaitable[Any]]:
    """An async function whose n-th attempt ends as ``outcomes[n]`` (the last one repeats)."""
    attempts = 0

    async def fn() -> Any:
        nonlocal attempts
        outcome = outcomes[min(attempts, len(outcomes) - 1)]
        attempts += 1
        if outcome == "ok":
            return "ok"
        if outcome == "ok_result":
            return Result.ok("fine")
        if outcome == "failed_result":
            return Result.fail("busy", ErrorKind.UNAVAILABLE, meta={"retry_after": 0})
        if outcome == "connection":
            raise ConnectionError("down")
        if outcome == "value_error":
            raise ValueError("bad")
        if outcome == "slow":
            await clock.advance(1.5)
            return "again"
        raise IgnoredError("ignored")

    return fn


def describe(outcome: object) -> object:
    if isinstance(outcome, BaseException):
        return (type(outcome).__name__, str(outcome), getattr(outcome, "retry_after", None))
    if isinstance(outcome, Result):
        return ("result", outcome.is_success, outcome.kind, outcome.data, dict(outcome.meta))
    return outcome


async def run_scenario(
    *, fused: bool, setup: dict[str, Any], steps: list[tuple[str, Any]]
) -> list[object]:
    clock = FakeClock()
    components, events = build(clock, **setup)
    pipeline = Pipeline(components, limiter_timeout=0)
    if not fused:
        pipeline._chain = pipeline._build()
    assert is_fused(pipeline) is fused
    log: list[object] = []
    for action, argument in steps:
        if action == "advance":
            await clock.advance(argument)
            continue
        fn = attempt_fn(clock, argument)
        if action == "execute":
            log.append(describe(await pipeline.execute(fn)))
            continue
        try:
            log.append(describe(await pipeline.call(fn)))
        except Exception as exc:
            log.append(describe(exc))
    log.append([repr(event) for event in events])
    for component in components:
        if isinstance(component, CircuitBreaker):
            log.append(component.metrics())
            log.append(component.state)
        if isinstance(component, Bulkhead):
            log.append(component.stats)
    return log


step = st.one_of(
    st.tuples(st.just("advance"), st.sampled_from([0.25, 1.0, 3.0, 6.0])),
    st.tuples(
        st.sampled_from(["call", "execute"]),
        st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=3),
    ),
)
setups = st.fixed_dictionaries(
    {
        "breaker": st.sampled_from(BREAKERS),
        "retry": st.sampled_from(RETRIES),
        "limiter": st.booleans(),
        "bulkhead": st.booleans(),
        "timeout": st.booleans(),
    }
)


@settings(max_examples=300, deadline=None)
@given(setup=setups, steps=st.lists(step, max_size=25))
def test_fused_step_matches_the_chain(setup: dict[str, Any], steps: list[tuple[str, Any]]) -> None:
    fused = asyncio.run(run_scenario(fused=True, setup=setup, steps=steps))
    chained = asyncio.run(run_scenario(fused=False, setup=setup, steps=steps))
    assert fused == chained


async def concurrent_scenario(*, fused: bool) -> list[object]:
    """Calls that overlap: bulkhead slots and queue, half-open probes, cancellation."""
    clock = FakeClock()
    breaker = CircuitBreaker("c", clock=clock, consecutive_failures=1, open_duration=1)
    bulkhead = Bulkhead(1, max_queue=1, clock=clock)
    events: list[object] = []
    breaker.add_listener(events.append)
    bulkhead.add_listener(events.append)
    pipeline = Pipeline([bulkhead, breaker, RetryPolicy(attempts=1, clock=clock)])
    if not fused:
        pipeline._chain = pipeline._build()
    gate = asyncio.Event()

    async def held() -> str:
        await gate.wait()
        return "held"

    async def down() -> str:
        raise ConnectionError("down")

    log: list[object] = []
    first = asyncio.ensure_future(pipeline.execute(held))
    second = asyncio.ensure_future(pipeline.execute(held))
    await asyncio.sleep(0)
    log.append(describe(await pipeline.execute(held)))  # no slot, no queue place
    log.append(bulkhead.stats)
    gate.set()
    log.extend([describe(await first), describe(await second)])
    log.append(describe(await pipeline.execute(down)))  # opens the breaker
    log.append(describe(await pipeline.execute(held)))  # rejected while open
    await clock.advance(1)
    gate.clear()
    probe = asyncio.ensure_future(pipeline.execute(held))  # the half-open probe, then cancelled
    await asyncio.sleep(0)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    gate.set()
    log.append(describe(await pipeline.execute(held)))  # the permit came back
    log.extend([repr(event) for event in events])
    log.extend([breaker.state, breaker.metrics(), bulkhead.stats])
    return log


async def test_overlapping_calls_match_the_chain() -> None:
    assert await concurrent_scenario(fused=True) == await concurrent_scenario(fused=False)


@pytest.mark.parametrize("fused", [True, False])
async def test_real_clock_timeout_is_inlined_and_still_fires(fused: bool) -> None:
    pipeline = Pipeline([Timeout(0.01), RetryPolicy(attempts=1), CircuitBreaker("t")])
    assert is_fused(pipeline)
    if not fused:
        pipeline._chain = pipeline._build()

    async def hang() -> None:
        await asyncio.Event().wait()

    with pytest.raises(TimeoutError, match=r"timed out after 0\.01s"):
        await pipeline.call(hang)
    result = await pipeline.execute(hang)
    assert result.kind is ErrorKind.TIMEOUT
    assert await pipeline.call(asyncio.sleep, 0, "fast") == "fast"


@pytest.mark.parametrize("fused", [True, False])
async def test_outside_cancellation_is_not_a_timeout(fused: bool) -> None:
    breaker = CircuitBreaker("cancel")
    pipeline = Pipeline([Timeout(30), Bulkhead(1), breaker, RetryPolicy(attempts=2)])
    if not fused:
        pipeline._chain = pipeline._build()
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.ensure_future(pipeline.call(hang))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breaker.metrics().calls == 0  # a cancellation is never an outcome
    assert await pipeline.call(asyncio.sleep, 0, 1) == 1  # the bulkhead slot came back


async def test_only_this_packages_own_components_are_fused(redis_store: Any) -> None:
    class MyRetry(RetryPolicy):
        __slots__ = ()

    clock = FakeClock()
    assert is_fused(Pipeline([]))
    assert is_fused(Pipeline([Timeout(5, clock=clock), RetryPolicy()]))  # wraps the fused rest
    assert fusable({"retry": RetryPolicy(), "breaker": CircuitBreaker("m")})
    assert not fusable({"retry": MyRetry()})
    assert not is_fused(Pipeline([MyRetry()]))
    assert not fusable({"breaker": CircuitBreaker("r", store=redis_store)})


async def waiting_scenario(*, fused: bool) -> list[object]:
    """A call waits in the limiter's queue (no ``limiter_timeout``), then one times out."""
    clock = FakeClock()
    limiter = RateLimiter(1, per=1.0, clock=clock)
    events: list[object] = []
    limiter.add_listener(events.append)
    pipeline = Pipeline([limiter, Timeout(5, clock=clock)], limiter_key="k", limiter_cost=1)
    if not fused:
        pipeline._chain = pipeline._build()
    assert is_fused(pipeline) is fused

    async def ok() -> str:
        return "ok"

    log: list[object] = [await pipeline.call(ok)]
    waiting = asyncio.ensure_future(pipeline.call(ok))  # queued until the budget refills
    await asyncio.sleep(0)
    log.append(waiting.done())
    await clock.advance(1)
    log.append(await waiting)
    late = asyncio.ensure_future(pipeline.execute(ok))
    blocked = await limiter.block("k", 60)  # the next admission is after the overall timeout
    await asyncio.sleep(0)
    await clock.advance(6)
    log.extend([blocked, describe(await late), [repr(e) for e in events]])
    return log


async def test_waiting_in_the_limiter_matches_the_chain() -> None:
    assert await waiting_scenario(fused=True) == await waiting_scenario(fused=False)
