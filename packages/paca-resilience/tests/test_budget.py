"""RetryBudget: a shared token bucket for retries."""

from __future__ import annotations

from typing import Any

import pytest

from paca.resilience._budget import RetryBudget
from paca.resilience._clock import FakeClock


def test_withdraw_until_empty() -> None:
    budget = RetryBudget(capacity=2, deposit_per_success=0.5, clock=FakeClock())
    assert budget.try_withdraw()
    assert budget.try_withdraw()
    assert not budget.try_withdraw()
    assert budget.tokens == 0


def test_successes_deposit_a_fraction_up_to_capacity() -> None:
    budget = RetryBudget(capacity=1, deposit_per_success=0.25, initial=0, clock=FakeClock())
    for _ in range(3):
        budget.deposit()
    assert not budget.try_withdraw()
    budget.deposit()
    assert budget.try_withdraw()
    for _ in range(10):
        budget.deposit()
    assert budget.tokens == 1.0
    budget.deposit(0)
    assert budget.capacity == 1.0


async def test_time_refill_uses_the_clock() -> None:
    clock = FakeClock()
    budget = RetryBudget(
        capacity=5, deposit_per_success=0, refill_per_second=2, initial=0, clock=clock
    )
    assert not budget.try_withdraw()
    await clock.advance(0.5)
    assert budget.try_withdraw()
    await clock.advance(100)
    assert budget.tokens == 5
    assert "capacity=5" in repr(budget)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"capacity": 0.5}, "capacity"),
        ({"capacity": float("inf")}, "capacity"),
        ({"deposit_per_success": 2}, "deposit_per_success"),
        ({"deposit_per_success": -0.1}, "deposit_per_success"),
        ({"refill_per_second": -1}, "refill_per_second"),
        ({"initial": 11}, "initial"),
    ],
)
def test_invalid_configuration_names_the_parameter(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        RetryBudget(**kwargs)
