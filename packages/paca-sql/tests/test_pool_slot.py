"""The pool's pure rules: connection deadlines and the reaper's sweep."""

from __future__ import annotations

import random

from paca.sql._pool_slot import Slot, deadline, sweep


def test_deadline_is_the_lifetime_less_a_random_share() -> None:
    rng = random.Random(7)
    assert deadline(10.0, None, 0.2, rng) is None
    times = [deadline(10.0, 100.0, 0.2, rng) for _ in range(200)]
    assert all(t is not None and 90.0 <= t <= 110.0 for t in times)
    assert len(set(times)) > 100  # spread out: a pool does not reconnect all at once
    assert deadline(0.0, 50.0, 0.0, rng) == 50.0


def test_sweep_closes_expired_and_stale_connections_down_to_min_size() -> None:
    def slot(last_used: float, expires: float | None = None) -> Slot:
        return Slot(object(), last_used, expires)

    expired = slot(99.0, expires=100.0)
    stale = [slot(0.0), slot(1.0), slot(2.0)]
    fresh = slot(95.0)
    kept, retired = sweep([expired, *stale, fresh], 100.0, 30.0, min_size=2, size=5)
    assert retired == [expired, stale[0], stale[1]]  # the pool keeps 2 (min_size)
    assert list(kept) == [stale[2], fresh]
    kept, retired = sweep([expired, *stale], 100.0, None, min_size=0, size=4)
    assert retired == [expired]  # no idle timeout: only the expired one
    assert list(kept) == stale
