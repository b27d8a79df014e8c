"""Budgets hold under stress, memory stays bounded, bad configuration is refused."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from typing import Any

import pytest

from paca.resilience._clock import FakeClock, MonotonicClock
from paca.resilience._limiter import RateLimiter
from paca.resilience._store import MemoryStore

# --- stress: never more than the limit ---------------------------------------------------------

RATE, PER, BURST = 20, 1.0, 8


def check_smooth(admissions: list[tuple[float, float]]) -> None:
    """In every interval [t_i, t_j]: admitted <= burst + rate * (t_j - t_i)."""
    admissions.sort()
    times = [t for t, _ in admissions]
    for i, start in enumerate(times):
        total = 0.0
        for j in range(i, len(times)):
            total += admissions[j][1]
            assert total <= BURST + RATE / PER * (times[j] - start) + 1e-6


def check_windows(admissions: list[tuple[float, float]], *, sliding: bool) -> None:
    sums: dict[int, float] = defaultdict(float)
    for t, cost in sorted(admissions):
        index = int(t // PER)
        sums[index] += cost
        assert sums[index] <= RATE
        if sliding:
            elapsed = (t - index * PER) / PER
            assert sums[index - 1] * (1 - elapsed) + sums[index] <= RATE + 1e-6


@pytest.mark.parametrize("algorithm", ["token_bucket", "gcra", "sliding_window", "fixed_window"])
async def test_admissions_never_exceed_the_limit(algorithm: str) -> None:
    rng = random.Random(f"stress-{algorithm}")
    clock = FakeClock(settle=5)
    options: dict[str, Any] = {"burst": BURST} if algorithm in ("token_bucket", "gcra") else {}
    limiter = RateLimiter(RATE, PER, algorithm=algorithm, clock=clock, **options)
    admitted: dict[str, list[tuple[float, float]]] = defaultdict(list)

    async def worker(seed: int) -> None:
        wrng = random.Random(seed)
        for _ in range(12):
            key = wrng.choice("ab")
            cost = wrng.choice([1, 1, 1, 2, 3, 5])
            if wrng.random() < 0.5:
                decision = await limiter.acquire(key, cost, timeout=wrng.choice([None, 0.2, 2.0]))
            else:
                decision = limiter.try_acquire_sync(key, cost)
                if not decision.allowed:
                    await clock.sleep(wrng.random())
            if decision.allowed:
                admitted[key].append((clock.now(), cost))

    tasks = [asyncio.ensure_future(worker(rng.randrange(1 << 30))) for _ in range(60)]
    for _ in range(2_000):
        if all(t.done() for t in tasks):
            break
        await clock.advance(rng.choice([0.0, 0.01, 0.05, 0.13, 0.5]))
    await asyncio.gather(*tasks)
    assert sum(len(v) for v in admitted.values()) > 100  # the stress did admit a lot
    for admissions in admitted.values():
        if algorithm in ("token_bucket", "gcra"):
            check_smooth(admissions)
        else:
            check_windows(admissions, sliding=algorithm == "sliding_window")


# --- bounded memory ------------------------------------------------------------------------------


async def test_idle_keys_are_forgotten_first() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 1.0, burst=2, clock=clock, max_keys=8)
    for i in range(8):
        limiter.try_acquire_sync(f"k{i}")
    assert limiter.tracked_keys == 8
    await clock.advance(5.0)  # every key has refilled: forgetting them loses nothing
    limiter.try_acquire_sync("hot", cost=2)
    assert limiter.tracked_keys == 1
    assert not limiter.try_acquire_sync("hot").allowed  # the new key kept its state


async def test_max_keys_bounds_memory_and_keeps_the_busiest_keys() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 60.0, burst=5, clock=clock, max_keys=100)
    limiter.try_acquire_sync("busy", cost=5)
    for i in range(10_000):
        limiter.try_acquire_sync(f"k{i}")
        assert limiter.tracked_keys <= 100
    assert not limiter.try_acquire_sync("busy").allowed  # furthest from full: never evicted


async def test_keys_with_waiters_are_never_evicted() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 1.0, burst=1, clock=clock, max_keys=2)
    limiter.try_acquire_sync("w")
    task = asyncio.ensure_future(limiter.acquire("w"))
    await asyncio.sleep(0)
    for i in range(10):
        limiter.try_acquire_sync(f"k{i}")
    assert "w" in limiter._states
    await clock.advance(1.0)
    assert (await task).allowed


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"rate": 0}, "rate"),
        ({"rate": -5}, "rate"),
        ({"rate": float("inf")}, "rate"),
        ({"rate": float("nan")}, "rate"),
        ({"rate": 1, "per": 0}, "per"),
        ({"rate": 1, "per": -1.0}, "per"),
        ({"rate": 1, "burst": 0}, "burst"),
        ({"rate": 1, "burst": 0.5}, "burst"),
        ({"rate": 1, "algorithm": "leaky"}, "algorithm"),
        ({"rate": 1.5, "algorithm": "fixed_window"}, "rate"),
        ({"rate": 2, "algorithm": "sliding_window", "burst": 3}, "burst"),
        ({"rate": 1, "max_keys": 0}, "max_keys"),
        ({"rate": 1, "name": ""}, "name"),
        ({"rate": 1, "failure_mode": "maybe"}, "fail"),
    ],
)
def test_invalid_configuration_names_the_parameter(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        RateLimiter(**kwargs)


def test_wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="rate"):
        RateLimiter("10")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rate"):
        RateLimiter(True)


def test_defaults_and_constructors() -> None:
    limiter = RateLimiter(100)
    assert (limiter.algorithm, limiter.capacity, limiter.name) == ("token_bucket", 100, "default")
    assert isinstance(limiter._clock, MonotonicClock)
    assert isinstance(limiter._store, MemoryStore)
    assert RateLimiter(0.5).capacity == 1  # a burst of at least one unit
    assert RateLimiter.per_second(5, algorithm="gcra").algorithm == "gcra"
    minute = RateLimiter.per_minute(30, algorithm="fixed_window")
    assert (minute.capacity, minute._per) == (30, 60.0)
    assert "token_bucket" in repr(limiter)


def test_try_acquire_sync_refuses_cost_beyond_capacity() -> None:
    limiter = RateLimiter(10, burst=3)
    limiter.try_acquire_sync("k")
    with pytest.raises(ValueError, match="cost"):
        limiter.try_acquire_sync("k", cost=4)
    with pytest.raises(ValueError, match="cost"):
        limiter.try_acquire_sync("new", cost=0)
