"""Every Redis decision is one command on the wire (one EVALSHA) once scripts are loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from paca.resilience import CircuitBreaker, RateLimiter

if TYPE_CHECKING:
    from paca.resilience import RedisStore

pytestmark = pytest.mark.redis


class _Counter:
    def __init__(self, store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.commands: list[str] = []
        original = store.client.execute_command

        async def counted(*args: Any, **options: Any) -> Any:
            self.commands.append(str(args[0]))
            return await original(*args, **options)

        monkeypatch.setattr(store.client, "execute_command", counted)


async def ok() -> int:
    return 1


@pytest.mark.parametrize("algorithm", ["token_bucket", "gcra", "sliding_window", "fixed_window"])
async def test_a_limiter_decision_is_one_round_trip(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch, algorithm: str
) -> None:
    limiter = RateLimiter(100, per=1.0, algorithm=algorithm, store=redis_store)
    await limiter.try_acquire("warm-up")  # loads the script (EVALSHA, NOSCRIPT, EVAL...)
    counter = _Counter(redis_store, monkeypatch)
    for _ in range(5):
        await limiter.try_acquire("k")
    assert counter.commands == ["EVALSHA"] * 5


async def test_a_breaker_call_is_one_round_trip_per_decision(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaker = CircuitBreaker("round-trips", store=redis_store)
    await breaker.call(ok)  # loads the script
    counter = _Counter(redis_store, monkeypatch)
    for _ in range(5):
        await breaker.call(ok)
    # two decisions per call: the permission before it, the recorded outcome after it
    assert counter.commands == ["EVALSHA"] * 10
