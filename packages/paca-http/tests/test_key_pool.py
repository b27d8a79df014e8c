"""KeyPool: selection order of every strategy, cooldown, quarantine, exhaustion (pure)."""

from __future__ import annotations

import pytest

from paca.http._auth_protocol import CredentialsUnavailable
from paca.http._key_pool import KeyPool, KeyStatus, keys_from_env
from paca.resilience import FakeClock
from paca.result import Secret

KEYS = ["key-a", "key-b", "key-c"]


def fp(key: str) -> str:
    return Secret(key).fingerprint()


def take(pool: KeyPool, count: int) -> list[str]:
    return [pool.acquire()[0].reveal() for _ in range(count)]


def test_round_robin_goes_in_turn() -> None:
    pool = KeyPool(KEYS, clock=FakeClock())
    assert take(pool, 7) == ["key-a", "key-b", "key-c", "key-a", "key-b", "key-c", "key-a"]


def test_round_robin_skips_a_resting_key_and_keeps_its_turn_order() -> None:
    pool = KeyPool(KEYS, clock=FakeClock())
    assert take(pool, 1) == ["key-a"]
    pool.cool_down(fp("key-b"), 10)
    assert take(pool, 4) == ["key-c", "key-a", "key-c", "key-a"]


async def test_round_robin_takes_a_key_back_when_its_cooldown_ends() -> None:
    clock = FakeClock()
    pool = KeyPool(KEYS, clock=clock)
    pool.cool_down(fp("key-b"), 10)
    assert take(pool, 2) == ["key-a", "key-c"]
    await clock.advance(10)
    assert take(pool, 3) == ["key-a", "key-b", "key-c"]


def test_least_used_picks_the_fewest_uses_ties_in_pool_order() -> None:
    pool = KeyPool(KEYS, strategy="least_used", clock=FakeClock())
    assert take(pool, 6) == ["key-a", "key-b", "key-c", "key-a", "key-b", "key-c"]
    pool.cool_down(fp("key-a"), 5)
    assert take(pool, 2) == ["key-b", "key-c"]
    pool.restore(fp("key-a"))
    # key-a has 2 uses, the others 3: it catches up first
    assert take(pool, 4) == ["key-a", "key-a", "key-b", "key-c"]


def test_weighted_is_smooth_weighted_round_robin() -> None:
    pool = KeyPool(KEYS, strategy="weighted", weights=[5, 1, 1], clock=FakeClock())
    order = ["key-a", "key-a", "key-b", "key-a", "key-c", "key-a", "key-a"]
    assert take(pool, 7) == order
    assert take(pool, 7) == order


def test_weighted_shares_follow_the_weights() -> None:
    pool = KeyPool(KEYS, strategy="weighted", weights=[3, 2, 1], clock=FakeClock())
    picked = take(pool, 600)
    assert [picked.count(k) for k in KEYS] == [300, 200, 100]


def test_weighted_skips_a_resting_key() -> None:
    pool = KeyPool(["a", "b"], strategy="weighted", weights=[3, 1], clock=FakeClock())
    pool.quarantine(fp("a"))
    assert take(pool, 3) == ["b", "b", "b"]


def test_peek_does_not_change_the_order() -> None:
    for strategy in ("round_robin", "least_used", "weighted"):
        pool = KeyPool(KEYS, strategy=strategy, weights=[2, 1, 1], clock=FakeClock())
        reference = KeyPool(KEYS, strategy=strategy, weights=[2, 1, 1], clock=FakeClock())
        seen = []
        for _ in range(8):
            peeked = pool.peek()
            key, fingerprint = pool.acquire()
            assert peeked == fingerprint
            seen.append(key.reveal())
        assert seen == take(reference, 8), strategy


async def test_cooldown_keeps_the_longer_rest_and_reports_status() -> None:
    clock = FakeClock()
    pool = KeyPool(KEYS, clock=clock)
    pool.cool_down(fp("key-a"), 30)
    pool.cool_down(fp("key-a"), 5)
    pool.quarantine(fp("key-b"))
    pool.quarantine(fp("key-c"), 100)
    await clock.advance(10)
    assert pool.status() == [
        KeyStatus(fp("key-a"), "cooling_down", 20.0, 0, 1.0),
        KeyStatus(fp("key-b"), "quarantined", None, 0, 1.0),
        KeyStatus(fp("key-c"), "quarantined", 90.0, 0, 1.0),
    ]
    assert pool.retry_after() == 20.0
    assert pool.peek() is None


async def test_exhausted_pool_raises_with_the_time_until_the_first_key_is_free() -> None:
    clock = FakeClock(100.0)
    pool = KeyPool(KEYS, clock=clock, name="maps")
    pool.cool_down(fp("key-a"), 40)
    pool.cool_down(fp("key-b"), 25)
    pool.quarantine(fp("key-c"), 60)
    with pytest.raises(CredentialsUnavailable, match="all 3 keys of key pool 'maps'") as info:
        pool.acquire()
    assert info.value.retry_after == 25.0
    await clock.advance(24.5)
    with pytest.raises(CredentialsUnavailable) as info:
        pool.acquire()
    assert info.value.retry_after == pytest.approx(0.5)
    await clock.advance(0.5)
    assert take(pool, 1) == ["key-b"]


def test_all_quarantined_until_restored_means_no_retry_after() -> None:
    pool = KeyPool(KEYS, clock=FakeClock())
    for key in KEYS:
        pool.quarantine(fp(key))
    with pytest.raises(CredentialsUnavailable, match="unknown") as info:
        pool.acquire()
    assert info.value.retry_after is None
    assert pool.retry_after() is None
    assert pool.restore(fp("key-b"))
    assert take(pool, 2) == ["key-b", "key-b"]


def test_unknown_fingerprints_are_ignored() -> None:
    pool = KeyPool(KEYS, clock=FakeClock())
    assert not pool.cool_down("sha256:nope", 1)
    assert not pool.quarantine("sha256:nope")
    assert not pool.restore("sha256:nope")
    assert "sha256:nope" not in pool
    assert fp("key-a") in pool


def test_uses_are_counted() -> None:
    pool = KeyPool(KEYS, clock=FakeClock())
    take(pool, 4)
    assert [s.uses for s in pool.status()] == [2, 1, 1]
    assert pool.fingerprints == tuple(fp(k) for k in KEYS)
    assert len(pool) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keys": []}, "at least one key"),
        ({"keys": ["a", ""]}, "empty key"),
        ({"keys": ["a", "a"]}, "twice"),
        ({"keys": ["a"], "weights": [1, 2]}, "2 values for 1 keys"),
        ({"keys": ["a"], "weights": [0]}, "positive"),
        ({"keys": ["a"], "weights": [float("nan")]}, "positive"),
        ({"keys": ["a"], "strategy": "random"}, "strategy must be one of"),
    ],
)
def test_bad_pools_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeyPool(**kwargs)  # type: ignore[arg-type]


def test_duplicate_message_shows_fingerprint_not_key() -> None:
    with pytest.raises(ValueError, match="twice") as info:
        KeyPool(["sk_dup_canary", "sk_dup_canary"])
    assert "sk_dup_canary" not in str(info.value)
    assert fp("sk_dup_canary") in str(info.value)


def test_repr_counts_keys() -> None:
    pool = KeyPool(KEYS, clock=FakeClock(), name="geo")
    pool.cool_down(fp("key-a"), 1)
    assert repr(pool) == "KeyPool(name='geo', strategy='round_robin', keys=3, available=2)"


def test_keys_from_env_splits_and_trims() -> None:
    env = {"ONE": " k1 , k2,,", "TWO": "k3"}
    keys = keys_from_env("ONE", "TWO", environ=env)
    assert [k.reveal() for k in keys] == ["k1", "k2", "k3"]
    assert [k.reveal() for k in keys_from_env("TWO", environ=env, separator=";")] == ["k3"]


@pytest.mark.parametrize(
    ("names", "env", "message"),
    [
        ((), {}, "at least one"),
        (("MISSING",), {}, "MISSING is not set"),
        (("BLANK",), {"BLANK": " , "}, "no API key found in BLANK"),
    ],
)
def test_keys_from_env_errors_name_variables(
    names: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        keys_from_env(*names, environ=env)
