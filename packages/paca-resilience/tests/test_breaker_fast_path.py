"""The closed breaker's clock-free fast path decides exactly like the full path.

A breaker whose machine is kept off the fast path (``timed``: every call takes a
permit with a clock reading and records its outcome through ``record``) is the
reference; the same configuration with its fast paths on (``noop``,
``record_success`` without a clock, including after a ``record_result``
predicate) must produce the same outcomes, states, events and metrics.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paca.resilience import CircuitBreaker, FakeClock
from paca.result import ErrorKind, Result

OUTCOMES = ("ok", "ok_result", "failed_result", "error", "ignored", "client_error")
CONFIGS: dict[str, dict[str, Any]] = {
    "count": {"window_size": 4, "minimum_calls": 2, "open_duration": 2, "half_open_permits": 1},
    "record_result": {
        "window_size": 3,
        "minimum_calls": 3,
        "open_duration": 2,
        "half_open_permits": 2,
        "record_result": lambda v: isinstance(v, Result) and not v.is_success,
    },
    "consecutive": {"consecutive_failures": 2, "open_duration": 1, "half_open_permits": 1},
}


class IgnoredError(Exception):
    """Ignored by the breaker."""


async def outcome_of(kind: str) -> object:
    if kind == "ok":
        return 1
    if kind == "ok_result":
        return Result.ok(2)
    if kind == "failed_result":
        return Result.fail("down", ErrorKind.UNAVAILABLE)
    if kind == "client_error":
        return Result.fail("no", ErrorKind.VALIDATION)
    if kind == "error":
        raise ConnectionError("down")
    raise IgnoredError("skip")


async def run(*, fast: bool, config: str, steps: list[tuple[str, Any]]) -> list[object]:
    clock = FakeClock()
    breaker = CircuitBreaker(
        "fp", clock=clock, rng=random.Random(1), ignore_exceptions=(IgnoredError,),
        **CONFIGS[config],
    )  # fmt: skip
    if not fast:
        machine = breaker._machine
        machine.timed, machine.fast, machine.noop_allowed = True, False, False
    events: list[object] = []
    breaker.add_listener(events.append)
    log: list[object] = []
    for action, argument in steps:
        if action == "advance":
            await clock.advance(argument)
            continue
        try:
            if action == "call":
                log.append(await breaker.call(outcome_of, argument))
            elif action == "execute":
                log.append(await breaker.execute(outcome_of, argument))
            else:
                async with breaker:
                    log.append(await outcome_of(argument))
        except Exception as exc:
            log.append((type(exc).__name__, str(exc)))
        log.append((breaker.state, breaker.metrics()))
    log.extend(repr(event) for event in events)
    return log


step = st.one_of(
    st.tuples(st.just("advance"), st.sampled_from([0.5, 1.0, 2.5])),
    st.tuples(st.sampled_from(["call", "execute", "async_with"]), st.sampled_from(OUTCOMES)),
)


@settings(max_examples=300, deadline=None)
@given(config=st.sampled_from(sorted(CONFIGS)), steps=st.lists(step, max_size=40))
def test_fast_path_matches_the_full_path(config: str, steps: list[tuple[str, Any]]) -> None:
    fast = asyncio.run(run(fast=True, config=config, steps=steps))
    full = asyncio.run(run(fast=False, config=config, steps=steps))
    assert fast == full
