"""A hypothesis state machine drives a KeyPool against a plain model of it.

The model keeps, per key, the time it is free again (``inf`` while quarantined until
restored) and its uses. Properties checked after every step: a resting key is never handed
out; the round-robin and least-used choices are the model's; ``retry_after`` (returned and
raised) is exactly the time until the earliest release.
"""

from __future__ import annotations

import math

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from paca.http._auth_protocol import CredentialsUnavailable
from paca.http._key_pool import KeyPool, KeyStrategy
from paca.result import Secret

KEYS = [f"key-{i}" for i in range(4)]
FINGERPRINTS = [Secret(k).fingerprint() for k in KEYS]
durations = st.floats(min_value=0, max_value=500, allow_nan=False)
indexes = st.integers(min_value=0, max_value=len(KEYS) - 1)


class SteppingClock:
    """A synchronous fake clock (the state machine cannot await FakeClock.advance)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - never called
        raise AssertionError


class KeyPoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = SteppingClock()
        self.pool: KeyPool
        self.strategy: KeyStrategy = "round_robin"
        self.free_at = [-math.inf] * len(KEYS)
        self.cool = [-math.inf] * len(KEYS)
        self.quarantine = [-math.inf] * len(KEYS)
        self.uses = [0] * len(KEYS)
        self.cursor = 0

    @initialize(
        strategy=st.sampled_from(["round_robin", "least_used", "weighted"]),
        weights=st.lists(st.integers(1, 5), min_size=len(KEYS), max_size=len(KEYS)),
    )
    def build(self, strategy: KeyStrategy, weights: list[int]) -> None:
        self.strategy = strategy
        self.pool = KeyPool(KEYS, strategy=strategy, weights=weights, clock=self.clock)

    def _sync(self, i: int) -> None:
        self.free_at[i] = max(self.cool[i], self.quarantine[i])

    def _ready(self) -> list[int]:
        return [i for i in range(len(KEYS)) if self.free_at[i] <= self.clock.t]

    def _expected_retry_after(self) -> float | None:
        earliest = min(self.free_at)
        if earliest <= self.clock.t:
            return 0.0
        return None if math.isinf(earliest) else earliest - self.clock.t

    @rule(prefer=st.none() | indexes)
    def acquire(self, prefer: int | None) -> None:
        ready = self._ready()
        wanted = None if prefer is None else FINGERPRINTS[prefer]
        if not ready:
            with pytest.raises(CredentialsUnavailable) as info:
                self.pool.acquire(wanted)
            assert info.value.retry_after == self._expected_retry_after()
            return
        _, fingerprint = self.pool.acquire(wanted)
        index = FINGERPRINTS.index(fingerprint)
        assert index in ready, "handed out a resting key"
        if prefer is not None and prefer in ready:
            assert index == prefer  # a network-error retry keeps its key, turn order unchanged
        elif self.strategy == "round_robin":
            expected = min(ready, key=lambda i: (i - self.cursor) % len(KEYS))
            assert index == expected
            self.cursor = (index + 1) % len(KEYS)
        elif self.strategy == "least_used":
            assert index == min(ready, key=lambda i: (self.uses[i], i))
        self.uses[index] += 1

    @rule(i=indexes, seconds=durations)
    def cool_down(self, i: int, seconds: float) -> None:
        assert self.pool.cool_down(FINGERPRINTS[i], seconds)
        self.cool[i] = max(self.cool[i], self.clock.t + seconds)
        self._sync(i)

    @rule(i=indexes, seconds=st.none() | durations)
    def quarantine_key(self, i: int, seconds: float | None) -> None:
        assert self.pool.quarantine(FINGERPRINTS[i], seconds)
        until = math.inf if seconds is None else self.clock.t + seconds
        self.quarantine[i] = max(self.quarantine[i], until)
        self._sync(i)

    @precondition(lambda self: any(f > self.clock.t for f in self.free_at))
    @rule(i=indexes)
    def restore(self, i: int) -> None:
        assert self.pool.restore(FINGERPRINTS[i])
        self.cool[i] = self.quarantine[i] = -math.inf
        self._sync(i)

    @rule(seconds=durations)
    def advance(self, seconds: float) -> None:
        self.clock.t += seconds

    @invariant()
    def retry_after_is_the_earliest_release(self) -> None:
        assert self.pool.retry_after() == self._expected_retry_after()

    @invariant()
    def status_matches_the_model(self) -> None:
        ready = set(self._ready())
        for i, status in enumerate(self.pool.status()):
            assert (status.state == "available") == (i in ready)
            assert status.uses == self.uses[i]
            if status.state != "available" and not math.isinf(self.free_at[i]):
                assert status.available_in == self.free_at[i] - self.clock.t
        peeked = self.pool.peek()
        assert (peeked is None) == (not ready)
        assert peeked is None or FINGERPRINTS.index(peeked) in ready


KeyPoolMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40)
TestKeyPool = KeyPoolMachine.TestCase
