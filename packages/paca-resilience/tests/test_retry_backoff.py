"""Property tests of the pure backoff functions."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.resilience._backoff import decorrelated_jitter, exponential, full_jitter

seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False)
attempts = st.integers(min_value=1, max_value=5000)
seeds = st.integers(min_value=0, max_value=2**32)


@given(attempt=attempts, base=seconds, cap=seconds, seed=seeds)
def test_full_jitter_stays_in_its_window(attempt: int, base: float, cap: float, seed: int) -> None:
    delay = full_jitter(attempt, base=base, cap=cap, rng=random.Random(seed))
    assert 0 <= delay <= exponential(attempt, base=base, cap=cap) <= cap


@given(attempt=attempts, base=seconds, cap=seconds)
def test_exponential_window_grows_and_is_capped(attempt: int, base: float, cap: float) -> None:
    now = exponential(attempt, base=base, cap=cap)
    assert now <= exponential(attempt + 1, base=base, cap=cap) <= cap
    if attempt <= 30:
        assert now == min(cap, base * 2 ** (attempt - 1))


@given(previous=seconds, base=seconds, cap=seconds, seed=seeds)
def test_decorrelated_jitter_bounds(previous: float, base: float, cap: float, seed: int) -> None:
    delay = decorrelated_jitter(previous, base=base, cap=cap, rng=random.Random(seed))
    assert min(base, cap) <= delay <= cap
    assert delay <= max(base, 3 * min(previous, cap))


@given(base=st.floats(min_value=0.001, max_value=10), seed=seeds)
def test_decorrelated_chain_stays_bounded(base: float, seed: int) -> None:
    rng = random.Random(seed)
    delay, cap = base, base * 50
    for _ in range(50):
        delay = decorrelated_jitter(delay, base=base, cap=cap, rng=rng)
        assert base <= delay <= cap


def test_full_jitter_uses_the_given_rng() -> None:
    a = [full_jitter(3, base=1, cap=10, rng=random.Random(1)) for _ in range(3)]
    assert len(set(a)) == 1


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: exponential(0, base=1, cap=1), "attempt"),
        (lambda: exponential(1, base=-1, cap=1), "base"),
        (lambda: full_jitter(1, base=1, cap=float("nan"), rng=random.Random()), "cap"),
        (lambda: decorrelated_jitter(-1, base=1, cap=1, rng=random.Random()), "previous"),
    ],
)
def test_bad_arguments_raise(call: object, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()  # type: ignore[operator]
