"""Parsing RateLimit-*, X-RateLimit-* and Retry-After (pure), and adopting them (FakeClock)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paca.resilience import _retry_after
from paca.resilience._clock import FakeClock
from paca.resilience._limiter import RateLimiter
from paca.resilience._limiter_headers import RateLimitInfo, parse_rate_limit_headers

DATE = "Tue, 14 Nov 2023 22:13:20 GMT"  # 1700000000
EPOCH = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, RateLimitInfo()),
        ({"Retry-After": "120"}, RateLimitInfo(retry_after=120.0)),
        ({"retry-after": " 0 "}, RateLimitInfo(retry_after=0.0)),
        (
            {"Retry-After": "Tue, 14 Nov 2023 22:15:20 GMT", "Date": DATE},
            RateLimitInfo(retry_after=120.0),
        ),
        (
            {"Retry-After": "Tue, 14 Nov 2023 22:10:00 GMT", "Date": DATE},
            RateLimitInfo(retry_after=0.0),
        ),
        ({"Retry-After": "soon"}, RateLimitInfo()),
        ({"Retry-After": "-5"}, RateLimitInfo()),
        (
            {"RateLimit": "limit=100, remaining=50, reset=30", "RateLimit-Policy": "100;w=60"},
            RateLimitInfo(100, 50, 30.0, None, 60.0, "ratelimit"),
        ),
        (
            {
                "RateLimit": '"burst";r=4;t=2, "daily";r=0;t=500',
                "RateLimit-Policy": '"burst";q=10;w=1',
            },
            RateLimitInfo(10, 0, 500.0, None, 1.0, "ratelimit"),
        ),
        (
            {
                "RateLimit-Limit": "10, 10;w=1, 50;w=60",
                "RateLimit-Remaining": "3",
                "RateLimit-Reset": "7",
            },
            RateLimitInfo(10, 3, 7.0, None, None, "ratelimit"),
        ),
        (
            {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"},
            RateLimitInfo(60, 0, 42.0, None, None, "x-ratelimit"),
        ),
        (
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000090", "Date": DATE},
            RateLimitInfo(None, 0, 90.0, None, None, "x-ratelimit"),
        ),
        (
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.5"},
            RateLimitInfo(None, 0, 1.5, None, None, "x-ratelimit"),
        ),
        (
            {"RateLimit": "limit=5, remaining=1, reset=9", "X-RateLimit-Remaining": "0"},
            RateLimitInfo(5, 1, 9.0, None, None, "ratelimit"),
        ),
        ({"X-RateLimit-Remaining": "lots"}, RateLimitInfo()),
    ],
)
def test_parse(headers: dict[str, str], expected: RateLimitInfo) -> None:
    assert parse_rate_limit_headers(headers) == expected


def test_pairs_first_value_wins_and_names_are_case_insensitive() -> None:
    info = parse_rate_limit_headers([("RETRY-AFTER", "5"), ("retry-after", "9")])
    assert info.retry_after == 5.0


def test_absolute_times_without_date_use_now_epoch_or_the_wall_clock_helper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = {"Retry-After": "Tue, 14 Nov 2023 22:14:20 GMT"}
    assert parse_rate_limit_headers(headers, now_epoch=EPOCH).retry_after == 60.0
    monkeypatch.setattr(
        _retry_after, "_utcnow", lambda: datetime.fromtimestamp(EPOCH + 20, timezone.utc)
    )
    assert parse_rate_limit_headers(headers).retry_after == 40.0
    reset = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000100"}
    assert parse_rate_limit_headers(reset).reset_after == 80.0


@pytest.mark.parametrize(
    ("info", "block_for", "source"),
    [
        (RateLimitInfo(), None, None),
        (RateLimitInfo(remaining=3, reset_after=10.0, source="ratelimit"), None, None),
        (RateLimitInfo(remaining=0, reset_after=10.0, source="ratelimit"), 10.0, "ratelimit"),
        (
            RateLimitInfo(remaining=0, reset_after=10.0, retry_after=20.0, source="x-ratelimit"),
            20.0,
            "retry-after",
        ),
        (
            RateLimitInfo(remaining=0, reset_after=30.0, retry_after=20.0, source="x-ratelimit"),
            30.0,
            "x-ratelimit",
        ),
        (RateLimitInfo(retry_after=5.0), 5.0, "retry-after"),
    ],
)
def test_block_for(info: RateLimitInfo, block_for: float | None, source: str | None) -> None:
    assert info.block_for == block_for
    assert info.block_source == source


@settings(max_examples=300, derandomize=True, database=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "RateLimit",
                "RateLimit-Policy",
                "RateLimit-Reset",
                "X-RateLimit-Reset",
                "Retry-After",
                "Date",
                "X-RateLimit-Remaining",
            ]
        ),
        st.text(max_size=40),
    )
)
def test_parser_never_raises(headers: dict[str, str]) -> None:
    info = parse_rate_limit_headers(headers, now_epoch=EPOCH)
    block = info.block_for
    assert block is None or block >= 0


async def test_adopted_block_follows_the_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    await limiter.update_from_headers({"RateLimit": "limit=10, remaining=0, reset=30"}, key="api")
    assert limiter.try_acquire_sync("api").retry_after == 30.0
    await clock.advance(29.5)
    assert limiter.try_acquire_sync("api").retry_after == pytest.approx(0.5)
    await clock.advance(0.5)
    assert limiter.try_acquire_sync("api").allowed


async def test_acquire_waits_out_a_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    await limiter.update_from_headers({"Retry-After": "2"})
    waiting = asyncio.ensure_future(limiter.acquire(timeout=5))
    await clock.advance(1.9)
    assert not waiting.done()
    await clock.advance(0.1)
    assert (await waiting).allowed


async def test_zero_and_negative_blocks() -> None:
    limiter = RateLimiter(10, clock=FakeClock())
    await limiter.update_from_headers({"Retry-After": "0"})
    assert limiter.try_acquire_sync().allowed
    with pytest.raises(ValueError, match="seconds"):
        await limiter.block("k", -1)
