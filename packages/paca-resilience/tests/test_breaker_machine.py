"""The sans-I/O breaker core: windows, every transition, open-duration growth."""

from __future__ import annotations

import random

import pytest

from paca.resilience._breaker_config import BreakerConfig, BreakerState, WindowType
from paca.resilience._breaker_machine import (
    FAILURE,
    REJECTED,
    SLOW,
    SUCCESS,
    BreakerMachine,
    CountWindow,
    TimeWindow,
    open_duration,
)

S = BreakerState


def machine(**options: object) -> tuple[BreakerMachine, list[tuple[S, S, str]]]:
    seen: list[tuple[S, S, str]] = []
    m = BreakerMachine(
        BreakerConfig(**options),  # type: ignore[arg-type]
        rng=random.Random(7),
        on_transition=lambda prev, new, reason, now, duration: seen.append((prev, new, reason)),
    )
    return m, seen


def run(m: BreakerMachine, codes: list[int], now: float = 0.0) -> None:
    for code in codes:
        epoch = m.acquire(now)
        assert epoch != REJECTED
        m.record(epoch, code, now)


# -- windows ---------------------------------------------------------------------


def test_count_window_evicts_oldest() -> None:
    w = CountWindow(3)
    for code in (FAILURE, SUCCESS, FAILURE | SLOW):
        w.add(code, 0.0)
    assert w.counts(0.0) == (3, 2, 1)
    w.add(SUCCESS, 0.0)  # evicts the first FAILURE
    assert w.counts(0.0) == (3, 1, 1)
    w.add(SUCCESS, 0.0)
    w.add(SUCCESS, 0.0)
    assert w.counts(0.0) == (3, 0, 0)
    w.reset()
    assert w.counts(0.0) == (0, 0, 0)


def test_time_window_drops_seconds_that_fall_out() -> None:
    w = TimeWindow(10)
    w.add(FAILURE, 0.5)
    w.add(SUCCESS, 5.0)
    w.add(SLOW, 9.9)
    assert w.counts(9.9) == (3, 1, 1)
    assert w.counts(10.0) == (2, 0, 1)  # second 0 left the window
    assert w.counts(15.5) == (1, 0, 1)
    assert w.counts(1000.0) == (0, 0, 0)  # a long gap clears everything
    w.add(FAILURE, 1000.2)
    w.add(FAILURE, 999.0)  # a late report lands in the newest bucket
    assert w.counts(1000.5) == (2, 2, 0)
    w.reset()
    assert w.counts(1000.5) == (0, 0, 0)


# -- closed -> open ----------------------------------------------------------------


def test_opens_by_failure_rate_once_minimum_calls_reached() -> None:
    m, seen = machine(window_size=10, minimum_calls=4, failure_rate_threshold=50)
    run(m, [FAILURE, FAILURE, FAILURE])
    assert m.state is S.CLOSED  # 3 < minimum_calls
    run(m, [SUCCESS])  # 3/4 = 75 % >= 50 %
    assert m.state is S.OPEN
    assert seen == [(S.CLOSED, S.OPEN, "failure_rate")]


def test_rate_below_threshold_stays_closed() -> None:
    m, _ = machine(window_size=4, minimum_calls=4, failure_rate_threshold=50)
    run(m, [FAILURE, SUCCESS, SUCCESS, SUCCESS, SUCCESS, FAILURE, SUCCESS])
    assert m.state is S.CLOSED
    assert m.metrics(0.0).failure_rate == 25.0


def test_opens_by_slow_call_rate() -> None:
    m, seen = machine(
        window_size=4, minimum_calls=4, slow_call_duration=1.0, slow_call_rate_threshold=50
    )
    run(m, [SLOW, SUCCESS, SLOW, SUCCESS])
    assert seen == [(S.CLOSED, S.OPEN, "slow_call_rate")]


def test_opens_by_consecutive_failures_before_minimum_calls() -> None:
    m, seen = machine(window_size=100, minimum_calls=100, consecutive_failures=3)
    run(m, [FAILURE, FAILURE, SUCCESS, FAILURE, FAILURE])
    assert m.state is S.CLOSED
    run(m, [FAILURE])
    assert seen == [(S.CLOSED, S.OPEN, "consecutive_failures")]


def test_time_window_opens_on_rate_within_window_only() -> None:
    m, _ = machine(window_type=WindowType.TIME, window_size=10, minimum_calls=2)
    run(m, [FAILURE], now=0.0)
    run(m, [SUCCESS], now=20.0)  # the failure is 20 s old: 0/1
    assert m.state is S.CLOSED
    run(m, [FAILURE], now=21.0)  # 1/2 = 50 %
    assert m.state is S.OPEN


# -- open -> half-open -> closed / open ---------------------------------------------


def opened(**options: object) -> tuple[BreakerMachine, list[tuple[S, S, str]]]:
    defaults: dict[str, object] = {
        "window_size": 2,
        "minimum_calls": 2,
        "open_duration": 10.0,
        "half_open_permits": 2,
    }
    m, seen = machine(**{**defaults, **options})
    run(m, [FAILURE, FAILURE])
    assert m.state is S.OPEN
    seen.clear()
    return m, seen


def test_open_rejects_with_retry_after_then_half_opens() -> None:
    m, seen = opened()
    assert m.acquire(4.0) == REJECTED
    assert m.retry_after(4.0) == 6.0
    assert m.not_permitted == 1
    assert m.acquire(10.0) != REJECTED
    assert seen == [(S.OPEN, S.HALF_OPEN, "open_duration_elapsed")]


def test_half_open_admits_exactly_the_permits() -> None:
    m, _ = opened(half_open_permits=2)
    first, second = m.acquire(10.0), m.acquire(10.0)
    assert REJECTED not in (first, second)
    assert m.acquire(10.0) == REJECTED
    assert m.retry_after(10.0) == 0.0
    m.record(first, SUCCESS, 10.0)
    assert m.acquire(10.0) == REJECTED  # a finished probe does not admit another


def test_half_open_closes_when_probes_succeed() -> None:
    m, seen = opened()
    probes = [m.acquire(10.0), m.acquire(10.0)]
    for epoch in probes:
        m.record(epoch, SUCCESS, 10.0)
    assert seen[-1] == (S.HALF_OPEN, S.CLOSED, "probes_succeeded")
    assert m.metrics(10.0).calls == 0  # fresh window


def test_half_open_reopens_when_probes_fail() -> None:
    m, seen = opened()
    probes = [m.acquire(10.0), m.acquire(10.0)]
    m.record(probes[0], SUCCESS, 10.0)
    m.record(probes[1], FAILURE, 10.0)  # 50 % >= 50 %
    assert seen[-1] == (S.HALF_OPEN, S.OPEN, "probes_failed")


def test_released_permit_admits_another_probe() -> None:
    m, _ = opened(half_open_permits=1)
    probe = m.acquire(10.0)
    assert m.acquire(10.0) == REJECTED
    m.release(probe)  # cancelled or ignored
    assert m.state is S.HALF_OPEN
    assert m.acquire(10.0) != REJECTED


def test_max_time_in_half_open_reopens() -> None:
    m, seen = opened(max_half_open_duration=5.0)
    probe = m.acquire(10.0)
    assert m.acquire(15.0) == REJECTED
    assert seen[-1] == (S.HALF_OPEN, S.OPEN, "half_open_timeout")
    m.record(probe, SUCCESS, 15.0)  # stale: admitted in an older epoch
    assert m.state is S.OPEN


def test_late_probe_after_half_open_timeout_reopens() -> None:
    m, seen = opened(max_half_open_duration=5.0, half_open_permits=1)
    probe = m.acquire(10.0)
    m.record(probe, SUCCESS, 16.0)
    assert seen[-1] == (S.HALF_OPEN, S.OPEN, "half_open_timeout")


def test_outcome_admitted_while_closed_never_uses_a_probe_slot() -> None:
    m, _ = machine(window_size=2, minimum_calls=2, open_duration=1.0, half_open_permits=1)
    slow_caller = m.acquire(0.0)
    run(m, [FAILURE, FAILURE])
    probe = m.acquire(1.0)
    m.record(slow_caller, SUCCESS, 1.0)  # stale: ignored
    m.release(slow_caller)  # stale: ignored
    assert m.state is S.HALF_OPEN
    assert m.acquire(1.0) == REJECTED
    m.record(probe, SUCCESS, 1.0)
    assert m.state is S.CLOSED


# -- manual states -------------------------------------------------------------------


def test_forced_open_disabled_metrics_only_and_reset() -> None:
    m, seen = machine(window_size=2, minimum_calls=2)
    m.transition(S.FORCED_OPEN, 0.0)
    assert m.acquire(1e9) == REJECTED
    assert m.retry_after(0.0) is None
    m.transition(S.DISABLED, 0.0)
    run(m, [FAILURE] * 5)
    assert m.state is S.DISABLED
    assert m.metrics(0.0).calls == 0  # disabled records nothing
    m.transition(S.METRICS_ONLY, 0.0)
    run(m, [FAILURE] * 5)
    assert m.state is S.METRICS_ONLY
    assert m.metrics(0.0).failure_rate == 100.0
    m.transition(S.CLOSED, 0.0)
    assert m.metrics(0.0).calls == 0
    assert [reason for _, _, reason in seen] == ["forced_open", "disabled", "metrics_only", "reset"]
    with pytest.raises(ValueError, match="state"):
        m.transition(S.OPEN, 0.0)


def test_fast_path_flags_follow_the_state() -> None:
    m, _ = machine(window_size=3, minimum_calls=3)
    assert m.fast
    assert not m.noop
    for _ in range(3):
        assert m.record_success(m.epoch)
    assert m.noop  # window full of successes
    run(m, [FAILURE])
    assert not m.noop
    assert not m.record_success(m.epoch)  # a failure in the window: needs the full path
    timed, _ = machine(slow_call_duration=1.0)
    assert not timed.fast
    assert not timed.record_success(timed.epoch)


# -- open duration ---------------------------------------------------------------------


def test_exponential_open_duration_with_cap() -> None:
    config = BreakerConfig(open_duration=1.0, open_duration_multiplier=2.0, max_open_duration=5.0)
    assert [open_duration(config, n, 0.5) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert open_duration(config, 10_000, 0.5) == 5.0  # no overflow


def test_jitter_stays_within_bounds_and_cap() -> None:
    config = BreakerConfig(open_duration=10.0, open_duration_jitter=0.2, max_open_duration=11.0)
    assert open_duration(config, 1, 0.0) == 8.0
    assert open_duration(config, 1, 0.5) == 10.0
    assert open_duration(config, 1, 0.99) == 11.0  # 11.96 capped


def test_seeded_jitter_and_growth_through_the_machine() -> None:
    options = {
        "window_size": 1,
        "minimum_calls": 1,
        "open_duration": 1.0,
        "open_duration_multiplier": 2.0,
        "max_open_duration": 6.0,
        "open_duration_jitter": 0.1,
        "half_open_permits": 1,
    }
    durations: list[float | None] = []
    m = BreakerMachine(
        BreakerConfig(**options),  # type: ignore[arg-type]
        rng=random.Random(42),
        on_transition=lambda p, n, r, now, d: durations.append(d) if n is S.OPEN else None,
    )
    now = 0.0
    run(m, [FAILURE], now)
    for _ in range(4):  # probe fails each time: the open duration grows
        now = m.open_until
        run(m, [FAILURE], now)
    rng = random.Random(42)
    expected = [min(6.0, 2.0**i * (1 + 0.1 * (2 * rng.random() - 1))) for i in range(5)]
    assert durations == pytest.approx(expected)
    assert durations[-1] == 6.0
    probe = m.acquire(m.open_until)
    m.record(probe, SUCCESS, m.open_until)  # closing restarts the growth
    assert m.state is S.CLOSED
    assert m.opens == 0
