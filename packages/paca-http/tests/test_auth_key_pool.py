"""A pooled AuthManager learning from responses: cooldown, quarantine, rotation, exhaustion."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from paca.http._auth import AuthManager
from paca.http._auth_events import AuthEvent, KeyCooldown, KeyQuarantined, KeyRotated
from paca.http._auth_protocol import AuthTicket, AuthVerdict, CredentialsUnavailable
from paca.http._auth_schemes import assess_response
from paca.http._exchange import OutgoingRequest, RawResponse
from paca.http._key_pool import KeyPool
from paca.resilience import FakeClock
from paca.result import Secret

KEYS = ["key-a", "key-b", "key-c"]
NOW_EPOCH = 1_700_000_000.0
NOW = datetime.fromtimestamp(NOW_EPOCH, timezone.utc)


def fp(key: str) -> str:
    return Secret(key).fingerprint()


def pooled(clock: FakeClock, **kwargs: object) -> tuple[AuthManager, list[AuthEvent]]:
    options: dict[str, object] = {"clock": clock, "wall_clock": lambda: NOW_EPOCH}
    options.update(kwargs)
    auth = AuthManager.key_pool(KEYS, **options)  # type: ignore[arg-type]
    events: list[AuthEvent] = []
    auth.add_listener(events.append)
    return auth, events


async def send(auth: AuthManager) -> tuple[AuthTicket, str]:
    req = OutgoingRequest("GET", "https://api.test/v1")
    ticket = await auth.apply(req, None)  # type: ignore[arg-type]
    return ticket, req.headers["X-API-Key"]


async def test_429_with_retry_after_seconds_cools_the_key_and_asks_for_a_retry() -> None:
    clock = FakeClock()
    auth, events = pooled(clock)
    ticket, key = await send(auth)
    assert key == "key-a"
    verdict = auth.on_response(ticket, 429, {"Retry-After": "120"})
    assert verdict is AuthVerdict.RETRY
    assert events == [
        KeyCooldown("default", fp("key-a"), 120.0, "rate_limited", "retry-after"),
        KeyRotated("default", fp("key-a"), fp("key-b"), "rate_limited"),
    ]
    assert [(await send(auth))[1] for _ in range(4)] == ["key-b", "key-c", "key-b", "key-c"]
    await clock.advance(120)
    assert [(await send(auth))[1] for _ in range(3)] == ["key-a", "key-b", "key-c"]


async def test_retry_after_http_date_against_the_date_header() -> None:
    clock = FakeClock()
    auth, events = pooled(clock)
    ticket, _ = await send(auth)
    headers = RawResponse.build(
        429,
        {
            "Date": format_datetime(NOW - timedelta(hours=1), usegmt=True),
            "Retry-After": format_datetime(
                NOW - timedelta(hours=1) + timedelta(seconds=90), usegmt=True
            ),
        },
        b"",
        "https://api.test/v1",
    ).headers
    assert auth.on_response(ticket, 429, headers) is AuthVerdict.RETRY
    assert events[0] == KeyCooldown("default", fp("key-a"), 90.0, "rate_limited", "retry-after")


async def test_retry_after_http_date_without_date_header_uses_the_injected_wall_clock() -> None:
    clock = FakeClock()
    auth, events = pooled(clock)
    ticket, _ = await send(auth)
    date = format_datetime(NOW + timedelta(seconds=45), usegmt=True)
    auth.on_response(ticket, 429, {"Retry-After": date})
    assert events[0] == KeyCooldown("default", fp("key-a"), 45.0, "rate_limited", "retry-after")
    status = auth.pool.status()[0] if auth.pool else None
    assert status is not None
    assert status.state == "cooling_down"
    assert status.available_in == 45.0


@pytest.mark.parametrize(
    ("status", "headers", "seconds", "reason", "source"),
    [
        (429, {}, 60.0, "rate_limited", "default"),
        (402, {}, 60.0, "payment_required", "default"),
        (
            429,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"},
            30.0,
            "rate_limited",
            "x-ratelimit",
        ),
        (
            429,
            {"RateLimit-Remaining": "0", "RateLimit-Reset": "12"},
            12.0,
            "rate_limited",
            "ratelimit",
        ),
        (
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW_EPOCH) + 600)},
            600.0,
            "quota",
            "x-ratelimit",
        ),
        (403, {"X-Quota-Remaining": "0"}, 60.0, "quota", "default"),
        (429, {"Retry-After": "99999"}, 3600.0, "rate_limited", "retry-after"),
        (429, {"Retry-After": "soon"}, 60.0, "rate_limited", "default"),
    ],
)
async def test_cooldown_durations(
    status: int, headers: dict[str, str], seconds: float, reason: str, source: str
) -> None:
    auth, events = pooled(FakeClock())
    ticket, _ = await send(auth)
    assert auth.on_response(ticket, status, headers) is AuthVerdict.RETRY
    assert events[0] == KeyCooldown("default", fp("key-a"), seconds, reason, source)


async def test_success_with_spent_quota_rests_the_key_without_a_retry() -> None:
    auth, events = pooled(FakeClock())
    ticket, _ = await send(auth)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "15"}
    assert auth.on_response(ticket, 200, headers) is AuthVerdict.PROCEED
    assert events == [
        KeyCooldown("default", fp("key-a"), 15.0, "quota", "x-ratelimit"),
        KeyRotated("default", fp("key-a"), fp("key-b"), "quota"),
    ]


async def test_401_quarantines_until_restored() -> None:
    clock = FakeClock()
    auth, events = pooled(clock)
    ticket, _ = await send(auth)
    assert auth.on_response(ticket, 401, {}) is AuthVerdict.RETRY
    assert events == [
        KeyQuarantined("default", fp("key-a"), None, "unauthorized"),
        KeyRotated("default", fp("key-a"), fp("key-b"), "unauthorized"),
    ]
    await clock.advance(10**6)
    assert [(await send(auth))[1] for _ in range(3)] == ["key-b", "key-c", "key-b"]
    assert auth.pool is not None
    auth.pool.restore(fp("key-a"))
    assert (await send(auth))[1] == "key-c"
    assert (await send(auth))[1] == "key-a"


async def test_401_with_a_quarantine_time() -> None:
    clock = FakeClock()
    auth, events = pooled(clock, quarantine_for=3600.0)
    ticket, _ = await send(auth)
    auth.on_response(ticket, 401, {})
    assert events[0] == KeyQuarantined("default", fp("key-a"), 3600.0, "unauthorized")
    await clock.advance(3600)
    assert [(await send(auth))[1] for _ in range(3)] == ["key-b", "key-c", "key-a"]


@pytest.mark.parametrize("status", [200, 204, 400, 403, 404, 500, 503])
async def test_other_responses_and_plain_403_keep_the_key(status: int) -> None:
    auth, events = pooled(FakeClock(), strategy="least_used")
    ticket, _ = await send(auth)
    assert auth.on_response(ticket, status, {"X-RateLimit-Remaining": "5"}) is AuthVerdict.PROCEED
    assert events == []
    assert auth.pool is not None
    assert all(s.state == "available" for s in auth.pool.status())


@pytest.mark.parametrize("strategy", ["round_robin", "least_used", "weighted"])
async def test_network_error_keeps_the_same_key_for_the_retry(strategy: str) -> None:
    auth, events = pooled(FakeClock(), strategy=strategy)
    ticket, key = await send(auth)
    assert key == "key-a"
    auth.on_network_error(ticket)
    retry, key = await send(auth)
    assert key == "key-a"
    assert retry == ticket
    assert events == []
    assert auth.pool is not None
    assert [s.state for s in auth.pool.status()] == ["available"] * 3
    # the turn order goes on as if nothing happened
    assert [(await send(auth))[1] for _ in range(2)] == ["key-b", "key-c"]


async def test_network_error_on_a_key_that_rests_meanwhile_takes_the_next_one() -> None:
    auth, _ = pooled(FakeClock())
    first, _ = await send(auth)
    second, _ = await send(auth)
    auth.on_network_error(first)
    auth.on_response(second, 429, {})  # not the key that failed on the network
    auth.on_network_error(AuthTicket("api_key", "sha256:unknown"))
    assert (await send(auth))[1] == "key-a"
    assert auth.pool is not None
    auth.pool.cool_down(fp("key-a"), 5)
    auth.on_network_error(first)
    assert (await send(auth))[1] == "key-c"


async def test_all_keys_resting_makes_apply_raise_with_the_earliest_release() -> None:
    clock = FakeClock()
    auth, events = pooled(clock)
    waits = {"key-a": "30", "key-b": "10", "key-c": "20"}
    for _ in KEYS:
        ticket, key = await send(auth)
        assert auth.on_response(ticket, 429, {"Retry-After": waits[key]}) is AuthVerdict.RETRY
    assert events[-1] == KeyRotated("default", fp("key-c"), None, "rate_limited")
    with pytest.raises(CredentialsUnavailable) as info:
        await send(auth)
    assert info.value.retry_after == 10.0
    await clock.advance(4)
    with pytest.raises(CredentialsUnavailable) as info:
        await send(auth)
    assert info.value.retry_after == 6.0
    await clock.advance(6)
    assert (await send(auth))[1] == "key-b"


async def test_single_key_429_retry_then_rate_limited() -> None:
    auth = AuthManager.key_pool(["only"], clock=FakeClock())
    req = OutgoingRequest("GET", "https://api.test/v1")
    ticket = await auth.apply(req, None)  # type: ignore[arg-type]
    assert auth.on_response(ticket, 429, {"Retry-After": "7"}) is AuthVerdict.RETRY
    with pytest.raises(CredentialsUnavailable) as info:
        await auth.apply(req, None)  # type: ignore[arg-type]
    assert info.value.retry_after == 7.0


async def test_foreign_tickets_are_ignored() -> None:
    auth, events = pooled(FakeClock())
    for ticket in (AuthTicket("api_key", None), AuthTicket("api_key", "sha256:other")):
        assert auth.on_response(ticket, 429, {}) is AuthVerdict.PROCEED
    assert events == []


async def test_bearer_pool_in_authorization_and_query_pool() -> None:
    auth = AuthManager.key_pool(["t1", "t2"], header="Authorization", prefix="Bearer ")
    req = OutgoingRequest("GET", "https://api.test/v1")
    ticket = await auth.apply(req, None)  # type: ignore[arg-type]
    assert req.headers["Authorization"] == "Bearer t1"
    assert ticket == AuthTicket("bearer", fp("t1"))
    auth = AuthManager.key_pool(["q1", "q2"], query_param="key")
    req = OutgoingRequest("GET", "https://api.test/v1", params=[("a", "1")])
    await auth.apply(req, None)  # type: ignore[arg-type]
    await auth.apply(req, None)  # type: ignore[arg-type]
    assert req.params == [("a", "1"), ("key", "q2")]


async def test_an_existing_pool_can_be_wrapped() -> None:
    pool = KeyPool(["w1", "w2"], strategy="weighted", weights=[2, 1], clock=FakeClock(), name="w")
    auth = AuthManager.key_pool(pool)
    assert auth.pool is pool
    seen = []
    for _ in range(3):
        req = OutgoingRequest("GET", "https://api.test/v1")
        await auth.apply(req, None)  # type: ignore[arg-type]
        seen.append(req.headers["X-API-Key"])
    assert seen == ["w1", "w2", "w1"]


async def test_key_pool_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_API_KEYS", "e1, e2")
    monkeypatch.setenv("MY_EXTRA_KEY", "e3")
    auth = AuthManager.key_pool_from_env("MY_API_KEYS", "MY_EXTRA_KEY", clock=FakeClock())
    assert auth.pool is not None
    assert auth.pool.name == "MY_API_KEYS"
    assert auth.pool.fingerprints == (fp("e1"), fp("e2"), fp("e3"))
    text = repr(auth)
    assert text == (
        "AuthManager(scheme='api_key', pool='MY_API_KEYS', strategy='round_robin', keys=3, "
        "header='X-API-Key')"
    )
    monkeypatch.delenv("MY_EXTRA_KEY")
    with pytest.raises(ValueError, match="MY_EXTRA_KEY is not set"):
        AuthManager.key_pool_from_env("MY_API_KEYS", "MY_EXTRA_KEY")


@pytest.mark.parametrize(
    "kwargs",
    [{"default_cooldown": -1.0}, {"max_cooldown": float("nan")}, {"quarantine_for": -5.0}],
)
def test_bad_pool_options_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        AuthManager.key_pool(["k"], **kwargs)  # type: ignore[arg-type]


def test_assess_response_is_pure() -> None:
    kept = assess_response(200, {}, default_cooldown=5, max_cooldown=10)
    assert (kept.action, kept.retry) == ("keep", False)
    cooled = assess_response(429, {"Retry-After": "0"}, default_cooldown=5, max_cooldown=10)
    assert (cooled.action, cooled.seconds, cooled.retry) == ("cool_down", 0.0, True)
