"""The sans-I/O limiter algorithms: unit tests and state machines against reference models."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from paca.resilience._limiter_algorithms import (
    Decision,
    FixedWindow,
    Gcra,
    SlidingWindow,
    TokenBucket,
)

# --- unit tests -------------------------------------------------------------------------------


def test_decision_is_truthy_only_when_allowed() -> None:
    assert Decision(True, 0.0, 3)
    assert not Decision(False, 1.0, 0)
    assert Decision(True, 0.0, 3).remaining == 3


@pytest.mark.parametrize("cls", [TokenBucket, Gcra])
def test_smooth_burst_then_refill(cls: Any) -> None:
    algo = cls(2.0, 3)  # 2 per second, burst 3
    state = algo.new_state(0.0)
    assert [algo.decide(state, 0.0, 1) for _ in range(3)] == [
        Decision(True, 0.0, 2),
        Decision(True, 0.0, 1),
        Decision(True, 0.0, 0),
    ]
    denied = algo.decide(state, 0.0, 1)
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(0.5)
    assert algo.decide(state, 0.25, 1).retry_after == pytest.approx(0.25)
    assert algo.decide(state, 0.5, 1) == Decision(True, 0.0, 0)
    assert algo.decide(state, 100.0, 2) == Decision(True, 0.0, 1)  # refilled to the burst only


@pytest.mark.parametrize("cls", [TokenBucket, Gcra])
def test_smooth_weighted_cost(cls: Any) -> None:
    algo = cls(1.0, 5)
    state = algo.new_state(10.0)
    assert algo.decide(state, 10.0, 4) == Decision(True, 0.0, 1)
    denied = algo.decide(state, 10.0, 3)
    assert denied == Decision(False, pytest.approx(2.0), 1)
    assert algo.decide(state, 12.0, 3).allowed


@pytest.mark.parametrize("cls", [TokenBucket, Gcra])
def test_smooth_refund_and_idle(cls: Any) -> None:
    algo = cls(1.0, 2)
    state = algo.new_state(0.0)
    algo.decide(state, 0.0, 2)
    assert algo.idle_at(state) == pytest.approx(2.0)
    algo.refund(state, 0.0, 1)
    assert algo.idle_at(state) == pytest.approx(1.0)
    assert algo.decide(state, 0.0, 1).allowed
    assert not algo.decide(state, 0.0, 1).allowed


@pytest.mark.parametrize(
    "algo",
    [TokenBucket(1.0, 2), Gcra(1.0, 2), FixedWindow(2, 1.0), SlidingWindow(2, 1.0)],
    ids=lambda a: a.name,
)
def test_block_denies_until_then_resumes(algo: Any) -> None:
    state = algo.new_state(0.0)
    algo.block(state, 30.0)
    algo.block(state, 10.0)  # a shorter block never shortens a longer one
    assert algo.decide(state, 5.0, 1) == Decision(False, 25.0, 0)
    assert algo.idle_at(state) == 30.0
    assert algo.decide(state, 30.0, 1).allowed


@pytest.mark.parametrize(
    "algo",
    [TokenBucket(1.0, 2), Gcra(1.0, 2), FixedWindow(2, 1.0), SlidingWindow(2, 1.0)],
    ids=lambda a: a.name,
)
def test_clone_is_independent(algo: Any) -> None:
    state = algo.new_state(0.0)
    copy = algo.clone(state)
    assert algo.decide(copy, 0.0, 2).allowed
    assert algo.decide(state, 0.0, 2).allowed  # the original still had its budget


def test_fixed_window_resets_on_boundary() -> None:
    algo = FixedWindow(3, 10.0)
    state = algo.new_state(4.0)
    assert algo.decide(state, 4.0, 2) == Decision(True, 0.0, 1)
    assert algo.decide(state, 9.0, 1) == Decision(True, 0.0, 0)
    assert algo.decide(state, 9.5, 1) == Decision(False, 0.5, 0)
    assert algo.idle_at(state) == 10.0
    assert algo.decide(state, 10.0, 3) == Decision(True, 0.0, 0)
    algo.refund(state, 10.5, 1)
    assert algo.decide(state, 10.5, 1).allowed
    algo.refund(state, 25.0, 3)  # outside the window that took it: nothing to give back
    assert algo.decide(state, 25.0, 3) == Decision(True, 0.0, 0)


def test_sliding_window_weights_the_previous_window() -> None:
    algo = SlidingWindow(10, 1.0)
    state = algo.new_state(0.0)
    assert algo.decide(state, 0.5, 10) == Decision(True, 0.0, 0)
    # At 1.25 the previous window weighs 10 * 0.75 = 7.5: 2 more fit, 3 do not.
    assert algo.decide(state, 1.25, 2) == Decision(True, 0.0, 0)
    denied = algo.decide(state, 1.25, 1)
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(0.05)  # 10 * (1 - x) + 2 + 1 <= 10 at x = 0.3
    assert algo.decide(state, 1.3, 1).allowed
    assert algo.idle_at(state) == 3.0


def test_sliding_window_waits_into_the_next_window_when_current_is_full() -> None:
    algo = SlidingWindow(4, 1.0)
    state = algo.new_state(0.0)
    assert algo.decide(state, 0.0, 4).allowed
    denied = algo.decide(state, 0.5, 2)
    # Next window at 1.0, then 4 * (1 - x) + 2 <= 4 needs x = 0.5: 1.5 s from 0.0.
    assert denied.retry_after == pytest.approx(1.0)
    assert algo.decide(state, 1.5, 2).allowed


def test_sliding_window_forgets_after_two_windows() -> None:
    algo = SlidingWindow(2, 1.0)
    state = algo.new_state(0.0)
    algo.decide(state, 0.0, 2)
    assert algo.decide(state, 2.0, 2) == Decision(True, 0.0, 0)
    assert algo.idle_at(state) == 4.0


def test_large_capacity_builds_decisions_beyond_the_table() -> None:
    algo = TokenBucket(1.0, 10_000)
    state = algo.new_state(0.0)
    assert algo.decide(state, 0.0, 1) == Decision(True, 0.0, 9_999)
    gcra = Gcra(1.0, 10_000)
    assert gcra.decide(gcra.new_state(0.0), 0.0, 1) == Decision(True, 0.0, 9_999)


# --- state machines against reference models ------------------------------------------------
#
# Times move in steps of 1/8 s and rates are powers of two, so the float algorithms and the
# exact Fraction references see the same numbers. The smooth algorithms are checked against
# each other's textbook formulation (token bucket vs virtual-scheduling GCRA): they must agree.

STEP = Fraction(1, 8)
RATE = 4  # units per second for the smooth algorithms
BURST = 5
LIMIT = 6  # units per window for the window algorithms
WINDOW = 2  # seconds
KEYS = st.sampled_from(["a", "b"])
SETTINGS = settings(max_examples=60, stateful_step_count=40, derandomize=True, database=None)


class _Reference:
    def decide(self, key: str, now: Fraction, cost: int) -> tuple[bool, Fraction, int]:
        raise NotImplementedError


class _GcraReference(_Reference):
    """Virtual scheduling: a reference for the token bucket."""

    def __init__(self) -> None:
        self.tat: dict[str, Fraction] = {}

    def decide(self, key: str, now: Fraction, cost: int) -> tuple[bool, Fraction, int]:
        interval = Fraction(1, RATE)
        tat = max(self.tat.get(key, now), now)
        allow_at = tat + cost * interval - BURST * interval
        if allow_at <= now:
            self.tat[key] = tat + cost * interval
            return True, Fraction(0), math.floor((now - allow_at) * RATE)
        return False, allow_at - now, math.floor((now + BURST * interval - tat) * RATE)


class _BucketReference(_Reference):
    """A leaky bucket of tokens: a reference for GCRA."""

    def __init__(self) -> None:
        self.tokens: dict[str, tuple[Fraction, Fraction]] = {}

    def decide(self, key: str, now: Fraction, cost: int) -> tuple[bool, Fraction, int]:
        tokens, last = self.tokens.get(key, (Fraction(BURST), now))
        tokens = min(Fraction(BURST), tokens + (now - last) * RATE)
        if tokens >= cost:
            self.tokens[key] = (tokens - cost, now)
            return True, Fraction(0), math.floor(tokens - cost)
        self.tokens[key] = (tokens, now)
        return False, (cost - tokens) / RATE, math.floor(tokens)


class _WindowReference(_Reference):
    """Admissions summed per aligned window; ``sliding`` weights the previous one."""

    def __init__(self, *, sliding: bool) -> None:
        self.sliding = sliding
        self.sums: dict[tuple[str, int], Fraction] = {}

    def decide(self, key: str, now: Fraction, cost: int) -> tuple[bool, Fraction, int]:
        index = math.floor(now / WINDOW)
        current = self.sums.get((key, index), Fraction(0))
        weighted = Fraction(0)
        if self.sliding:
            elapsed = (now - index * WINDOW) / WINDOW
            weighted = self.sums.get((key, index - 1), Fraction(0)) * (1 - elapsed)
        if weighted + current + cost <= LIMIT:
            self.sums[key, index] = current + cost
            return True, Fraction(0), math.floor(LIMIT - weighted - current - cost)
        wait = Fraction(-1) if self.sliding else (index + 1) * WINDOW - now  # sliding: not exact
        return False, wait, max(0, math.floor(LIMIT - weighted - current))


class _AlgorithmMachine(RuleBasedStateMachine):
    algo: Any
    reference: _Reference

    def __init__(self) -> None:
        super().__init__()
        self.now = Fraction(0)
        self.states: dict[str, Any] = {}

    @initialize(start=st.integers(0, 80))
    def start(self, start: int) -> None:
        self.now = start * STEP

    @rule(steps=st.integers(0, 24))
    def advance(self, steps: int) -> None:
        self.now += steps * STEP

    @rule(key=KEYS, cost=st.integers(1, 5))
    def decide(self, key: str, cost: int) -> None:
        now = float(self.now)
        state = self.states.get(key)
        if state is None:
            state = self.states[key] = self.algo.new_state(now)
        before = self.algo.clone(state)
        got = self.algo.decide(state, now, cost)
        allowed, retry_after, remaining = self.reference.decide(key, self.now, cost)
        assert got.allowed == allowed
        assert got.remaining == remaining
        if allowed:
            assert got.retry_after == 0.0
            return
        assert got.retry_after is not None
        assert got.retry_after > 0
        if retry_after >= 0:  # the reference knows the exact wait
            assert got.retry_after == pytest.approx(float(retry_after))
        # Waiting retry_after is enough, and (by more than a step) necessary.
        later = self.algo.clone(before)
        assert self.algo.decide(later, now + got.retry_after + 1e-9, cost).allowed
        if got.retry_after > float(STEP):
            sooner = self.algo.clone(before)
            assert not self.algo.decide(sooner, now + got.retry_after - float(STEP), cost).allowed

    @invariant()
    def idle_keys_are_full(self) -> None:
        for state in self.states.values():
            idle = self.algo.idle_at(state)
            probe = self.algo.clone(state)
            at = max(float(self.now), idle)
            assert self.algo.decide(probe, at, self.algo.capacity).allowed


class TokenBucketMachine(_AlgorithmMachine):
    def __init__(self) -> None:
        super().__init__()
        self.algo = TokenBucket(RATE, BURST)
        self.reference = _GcraReference()


class GcraMachine(_AlgorithmMachine):
    def __init__(self) -> None:
        super().__init__()
        self.algo = Gcra(RATE, BURST)
        self.reference = _BucketReference()


class FixedWindowMachine(_AlgorithmMachine):
    def __init__(self) -> None:
        super().__init__()
        self.algo = FixedWindow(LIMIT, WINDOW)
        self.reference = _WindowReference(sliding=False)


class SlidingWindowMachine(_AlgorithmMachine):
    def __init__(self) -> None:
        super().__init__()
        self.algo = SlidingWindow(LIMIT, WINDOW)
        self.reference = _WindowReference(sliding=True)


TestTokenBucketMachine = SETTINGS(TokenBucketMachine).TestCase
TestGcraMachine = SETTINGS(GcraMachine).TestCase
TestFixedWindowMachine = SETTINGS(FixedWindowMachine).TestCase
TestSlidingWindowMachine = SETTINGS(SlidingWindowMachine).TestCase
