"""The limiter's hot paths decide like its general paths.

``Algorithm.admit`` (the Decision-free decision of ``admit_now``) moves state like
``decide``; ``acquire`` on an existing key with no queue anywhere answers like the
general path.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paca.resilience import FakeClock, RateLimiter
from paca.resilience._limiter_algorithms import FixedWindow, Gcra, SlidingWindow, TokenBucket

ALGORITHMS = {
    "token_bucket": lambda: TokenBucket(3.0, 2.0),
    "gcra": lambda: Gcra(3.0, 2.0),
    "fixed_window": lambda: FixedWindow(2.0, 1.0),
    "sliding_window": lambda: SlidingWindow(3.0, 1.0),
    "large_bucket": lambda: TokenBucket(1e9, 1e12),  # remaining far beyond the table
}

actions = st.lists(
    st.tuples(
        st.sampled_from(["decide"] * 8 + ["block", "refund"]),
        st.sampled_from([0.0, 0.0, 0.01, 0.1, 0.25, 0.5, 1.0, 2.5]),  # time step
        st.sampled_from([0.5, 1.0, 1.0, 2.0]),  # cost, or block length
    ),
    max_size=60,
)


def snapshot(state: Any) -> dict[str, Any]:
    return {name: getattr(state, name) for name in ("blocked", *type(state).__slots__)}


@settings(max_examples=1000, deadline=None)
@given(name=st.sampled_from(sorted(ALGORITHMS)), steps=actions)
def test_admit_is_decide_without_the_decision(
    name: str, steps: list[tuple[str, float, float]]
) -> None:
    algorithm = ALGORITHMS[name]()
    by_decide = algorithm.new_state(100.0)
    by_admit = copy.copy(by_decide)
    now = 100.0
    for action, step, amount in steps:
        now += step
        if action == "block":
            algorithm.block(by_decide, now + amount)
            algorithm.block(by_admit, now + amount)
        elif action == "refund":
            algorithm.refund(by_decide, now, amount)
            algorithm.refund(by_admit, now, amount)
        else:
            assert (
                algorithm.admit(by_admit, now, amount)
                is algorithm.decide(by_decide, now, amount).allowed
            )
        assert snapshot(by_admit) == snapshot(by_decide)


async def acquire_log(*, other_waiting: bool, steps: list[tuple[float, float]]) -> list[object]:
    clock = FakeClock()
    limiter = RateLimiter(2, per=1.0, clock=clock, algorithm="gcra")
    events: list[object] = []
    limiter.add_listener(events.append)
    parked = None
    if other_waiting:  # a queue on another key sends every acquire down the general path
        await limiter.acquire("other", 2)
        parked = asyncio.ensure_future(limiter.acquire("other", 2, timeout=1000))
        await asyncio.sleep(0)
        assert limiter._waiting
    log: list[object] = []
    for step_, cost in steps:
        if step_:
            clock._now += step_  # moves time without waking the parked waiter
        log.append(await limiter.acquire("key", cost, timeout=0))
    if parked is not None:
        parked.cancel()
    log.extend(repr(e) for e in events if getattr(e, "key", None) == "key")
    return log


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from([0.0, 0.0, 0.2, 0.5, 1.0]), st.sampled_from([0.5, 1.0, 2.0])),
        max_size=30,
    )
)
def test_acquire_hot_path_matches_the_general_path(steps: list[tuple[float, float]]) -> None:
    hot = asyncio.run(acquire_log(other_waiting=False, steps=steps))
    general = asyncio.run(acquire_log(other_waiting=True, steps=steps))
    assert hot == general
