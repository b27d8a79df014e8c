"""Hypothesis drives a CircuitBreaker and a deliberately simple reference model side by side.

Calls are real ``breaker.call`` tasks held open on futures, so calls overlap
and finish in any order (success, failure or cancellation) while a fake clock
moves; after every step the breaker must agree with the model on state,
window counts, and which calls it admitted.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from paca.resilience._breaker import CircuitBreaker
from paca.resilience._clock import FakeClock
from paca.resilience._errors import CircuitOpenError

SIZE, MINIMUM, THRESHOLD, PERMITS, OPEN_FOR = 5, 3, 50.0, 2, 10.0


@dataclass
class Model:
    """The breaker as a spec: lists and ifs, no optimisation."""

    now: float = 0.0
    state: str = "closed"
    epoch: int = 0
    window: deque[bool] = field(default_factory=lambda: deque(maxlen=SIZE))  # True = failure
    open_until: float = 0.0
    running: int = 0
    done: int = 0
    failed: int = 0

    def _move(self, state: str) -> None:
        self.state, self.epoch = state, self.epoch + 1
        self.running = self.done = self.failed = 0
        if state == "open":
            self.open_until = self.now + OPEN_FOR
        if state == "closed":
            self.window.clear()

    def acquire(self) -> int | None:
        if self.state == "open" and self.now >= self.open_until:
            self._move("half_open")
        if self.state == "closed":
            return self.epoch
        if self.state == "half_open" and self.running + self.done < PERMITS:
            self.running += 1
            return self.epoch
        return None

    def finish(self, epoch: int, outcome: str) -> None:
        if epoch != self.epoch:
            return
        if self.state == "closed" and outcome != "cancel":
            self.window.append(outcome == "failure")
            fails = sum(self.window)
            if len(self.window) >= MINIMUM and fails * 100 >= THRESHOLD * len(self.window):
                self._move("open")
        elif self.state == "half_open":
            self.running -= 1
            if outcome == "cancel":
                return
            self.done += 1
            self.failed += outcome == "failure"
            if self.done == PERMITS:
                self._move("open" if self.failed * 100 >= THRESHOLD * self.done else "closed")


@dataclass
class Pending:
    task: asyncio.Task[int]
    gate: asyncio.Future[int]
    epoch: int


class BreakerVersusModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.breaker = CircuitBreaker(
            "model",
            clock=self.clock,
            window_size=SIZE,
            minimum_calls=MINIMUM,
            failure_rate_threshold=THRESHOLD,
            half_open_permits=PERMITS,
            open_duration=OPEN_FOR,
        )
        self.model = Model()
        self.pending: list[Pending] = []
        self.inside = 0

    def settle(self) -> None:
        for _ in range(5):
            self.loop.run_until_complete(asyncio.sleep(0))

    @rule()
    def start_call(self) -> None:
        gate: asyncio.Future[int] = self.loop.create_future()

        async def protected() -> int:
            self.inside += 1
            try:
                return await gate
            finally:
                self.inside -= 1

        task = self.loop.create_task(self.breaker.call(protected))
        self.settle()
        epoch = self.model.acquire()
        if epoch is None:
            assert task.done()
            assert isinstance(task.exception(), CircuitOpenError)
        else:
            assert not task.done()
            self.pending.append(Pending(task, gate, epoch))

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), outcome=st.sampled_from(["success", "failure", "cancel"]))
    def finish_call(self, data: st.DataObject, outcome: str) -> None:
        call = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        if outcome == "success":
            call.gate.set_result(1)
        elif outcome == "failure":
            call.gate.set_exception(ConnectionError("down"))
        else:
            call.task.cancel()
        self.settle()
        assert call.task.done()
        self.model.finish(call.epoch, outcome)

    @rule(seconds=st.sampled_from([1.0, 4.0, 10.0, 25.0]))
    def advance(self, seconds: float) -> None:
        self.loop.run_until_complete(self.clock.advance(seconds))
        self.model.now += seconds

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert self.breaker.state.value == self.model.state
        metrics = self.breaker.metrics()
        if self.model.state == "closed":
            assert metrics.calls == len(self.model.window)
            assert metrics.failed_calls == sum(self.model.window)
        assert self.inside == len(self.pending)
        if self.model.state == "half_open":
            assert self.model.running <= PERMITS

    def teardown(self) -> None:
        for call in self.pending:
            call.task.cancel()
        self.settle()
        self.loop.close()


BreakerVersusModel.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
test_breaker_matches_the_reference_model = BreakerVersusModel.TestCase
