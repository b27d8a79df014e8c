"""The Retry-After parser: seconds, HTTP-dates, caps, and never raising."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.resilience._retry_after import parse_retry_after

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def fixed() -> datetime:
    return NOW


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        (b"3", 3.0),
        (0, 0.0),
        (2.5, 2.5),
        (-4, 0.0),
        (timedelta(seconds=9), 9.0),
        ("Wed, 01 Jan 2025 12:00:30 GMT", 30.0),
        ("Wed, 01 Jan 2025 11:00:00 GMT", 0.0),  # in the past: go now
        (NOW + timedelta(minutes=2), 120.0),
        (datetime(2025, 1, 1, 12, 0, 10), 10.0),  # naive: taken as UTC
    ],
)
def test_parses_seconds_and_dates(value: object, expected: float) -> None:
    assert parse_retry_after(value, now=fixed) == expected


@pytest.mark.parametrize(
    "value",
    [None, True, "", "soon", "-3", "1e3", "Thu, 99 Foo 2025", object(), float("nan"), [1]],
)
def test_unusable_values_give_none(value: object) -> None:
    assert parse_retry_after(value, now=fixed) is None


def test_cap_applies_to_seconds_and_dates() -> None:
    assert parse_retry_after("3600", cap=60) == 60.0
    assert parse_retry_after("Wed, 01 Jan 2025 13:00:00 GMT", cap=5, now=fixed) == 5.0
    assert parse_retry_after(10**400, cap=3) == 3.0
    assert parse_retry_after(10**400) is None
    assert parse_retry_after("9" * 5000, cap=1) == 1.0


def test_default_now_is_the_wall_clock() -> None:
    far = datetime.now(timezone.utc) + timedelta(days=2)
    assert parse_retry_after(far, cap=10) == 10.0


@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    value = parse_retry_after(text, cap=100.0, now=fixed)
    assert value is None or 0.0 <= value <= 100.0


@given(st.binary())
def test_never_raises_on_any_bytes(raw: bytes) -> None:
    value = parse_retry_after(raw, cap=100.0, now=fixed)
    assert value is None or 0.0 <= value <= 100.0


@given(st.one_of(st.integers(), st.floats(), st.datetimes(), st.timedeltas()))
def test_never_raises_on_any_number_or_time(value: object) -> None:
    result = parse_retry_after(value, cap=50.0, now=fixed)
    assert result is None or 0.0 <= result <= 50.0


@given(st.integers(min_value=0, max_value=10**9))
def test_delta_seconds_round_trip(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)
