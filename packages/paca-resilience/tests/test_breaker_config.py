"""Invalid breaker configuration raises ValueError naming the parameter."""

from __future__ import annotations

from typing import Any

import pytest

from paca.resilience._breaker import CircuitBreaker
from paca.resilience._breaker_config import BreakerConfig, WindowType


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("failure_rate_threshold", 0),
        ("failure_rate_threshold", 100.5),
        ("failure_rate_threshold", -1),
        ("failure_rate_threshold", float("nan")),
        ("slow_call_rate_threshold", 0),
        ("slow_call_rate_threshold", 101),
        ("minimum_calls", 0),
        ("minimum_calls", 1.5),
        ("window_size", 0),
        ("window_size", True),
        ("half_open_permits", 0),
        ("consecutive_failures", 0),
        ("open_duration", 0),
        ("open_duration", -1.0),
        ("open_duration", float("inf")),
        ("slow_call_duration", -0.1),
        ("max_half_open_duration", -5),
        ("probe_lease_duration", 0),
        ("open_duration_multiplier", 0.5),
        ("open_duration_jitter", 1.0),
        ("open_duration_jitter", -0.1),
        ("max_open_duration", 1.0),  # below open_duration (30)
        ("window_type", "sliding"),
        ("failure_kinds", {"timeout"}),
        ("ignore_exceptions", (ValueError, 3)),
        ("record_result", 42),
        ("record_exception", "yes"),
    ],
)
def test_invalid_option_names_the_parameter(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        BreakerConfig(**{option: value})
    with pytest.raises(ValueError, match=option):
        CircuitBreaker("b", **{option: value})


def test_minimum_calls_above_count_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="minimum_calls"):
        BreakerConfig(window_size=5, minimum_calls=6)
    BreakerConfig(window_type=WindowType.TIME, window_size=5, minimum_calls=60)  # fine: seconds


def test_exponential_growth_needs_a_cap() -> None:
    with pytest.raises(ValueError, match="max_open_duration"):
        BreakerConfig(open_duration_multiplier=2.0)
    BreakerConfig(open_duration_multiplier=2.0, max_open_duration=300.0)


def test_name_and_store_are_checked() -> None:
    with pytest.raises(ValueError, match="name"):
        CircuitBreaker("")
    with pytest.raises(TypeError, match="store"):
        CircuitBreaker("b", store=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        CircuitBreaker("b", no_such_option=1)


def test_options_override_a_config() -> None:
    base = BreakerConfig(window_size=50, minimum_calls=5)
    breaker = CircuitBreaker("b", base, window_size=20)
    assert breaker.config.window_size == 20
    assert breaker.config.minimum_calls == 5
    assert BreakerConfig(window_type="time").window_type is WindowType.TIME  # type: ignore[arg-type]
