"""RedisCacheStore against a real Redis: two caches ("processes") share entries, TTLs, secrets."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from multidict import CIMultiDict
from redis.asyncio import Redis

from paca.http._cache import ResponseCache
from paca.http._cache_key import primary_key
from paca.http._cache_policy import CachePolicy
from paca.http._cache_redis import RedisCacheStore, decode_entry, encode_entry
from paca.http._exchange import OutgoingRequest, RawResponse
from paca.http._freshness import make_entry
from paca.resilience import FakeClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.redis

URL = "https://api.test/items"
CANARY = "CANARY-5ec2e7-do-not-store"


class Origin:
    def __init__(self, headers: dict[str, str], body: bytes = b"v1") -> None:
        self.headers = headers
        self.body = body
        self.calls = 0

    async def __call__(self, request: OutgoingRequest) -> RawResponse:
        self.calls += 1
        # as the client's auth layer does, on its own copy: a key in the query string
        params = [*request.params, ("auth_key", f"{CANARY}-auth")]
        query = "&".join(f"{k}={v}" for k, v in params)
        url = f"{request.url}?{query}" if query else request.url
        return RawResponse.build(200, self.headers, self.body, url)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    c = Redis.from_url(redis_url)
    yield c
    await c.aclose()


@pytest.fixture
async def prefix(client: Redis) -> AsyncIterator[str]:
    name = f"test-http-cache-{uuid.uuid4().hex}"
    yield name
    keys = [k async for k in client.scan_iter(match=f"{name}:*")]
    if keys:
        await client.delete(*keys)


async def dump(client: Redis, prefix: str) -> list[bytes]:
    """Every key, field and value under ``prefix``."""
    found: list[bytes] = []
    async for key in client.scan_iter(match=f"{prefix}:*"):
        found.append(key)
        for field, value in (await client.hgetall(key)).items():
            found.extend((field, value))
    return found


async def test_two_processes_share_entries_on_their_own_clocks(
    redis_url: str, client: Redis, prefix: str
) -> None:
    other = Redis.from_url(redis_url)  # each "process" has its own connection and clock
    clock_a, clock_b = FakeClock(1000.0), FakeClock(5.0)
    a = ResponseCache(RedisCacheStore(client, prefix=prefix), clock=clock_a)
    b = ResponseCache(RedisCacheStore(other, prefix=prefix), clock=clock_b)
    origin = Origin({"Cache-Control": "max-age=60", "Age": "50"})
    try:
        assert (await a.fetch(OutgoingRequest("GET", URL), origin))[1] == "miss"
        response, status = await b.fetch(OutgoingRequest("GET", URL), origin)
        assert (status, response.body, origin.calls) == ("hit", b"v1", 1)
        # Time spent in Redis is measured by Redis TIME (the clocks of two processes cannot be
        # compared): make the entry 10 s older in Redis: age 50 + 10 is stale for both.
        key = f"{prefix}:{primary_key('GET', URL)}"
        for field in await client.hkeys(key):
            if field.endswith(b"|t"):
                await client.hincrby(key, field, -10_000)
        assert (await b.fetch(OutgoingRequest("GET", URL), origin))[1] == "miss"
        assert origin.calls == 2
        await clock_a.advance(3600)  # a local clock does not age an entry that lives in Redis
        assert (await a.fetch(OutgoingRequest("GET", URL), origin))[1] == "hit"  # b's refresh
        await b.invalidate(URL)
        assert (await a.fetch(OutgoingRequest("GET", URL), origin))[1] == "miss"
        assert origin.calls == 3
        assert a.stats().bytes is None
        assert a.stats().evictions == 0
    finally:
        await other.aclose()


async def test_ttl_set_on_redis(client: Redis, prefix: str) -> None:
    store = RedisCacheStore(client, prefix=prefix)
    cache = ResponseCache(store, clock=FakeClock(), keep_stale=0.0)
    await cache.fetch(
        OutgoingRequest("GET", URL), Origin({"Cache-Control": "max-age=30, stale-if-error=90"})
    )
    key = f"{prefix}:{primary_key('GET', URL)}"
    pttl = await client.pttl(key)
    assert 119_000 < pttl <= 120_000  # 30 s fresh + 90 s stale-if-error


async def test_short_ttl_expires_in_redis(client: Redis, prefix: str) -> None:
    store = RedisCacheStore(client, prefix=prefix)
    request = OutgoingRequest("GET", URL)
    entry = make_entry(
        RawResponse.build(200, {"Cache-Control": "max-age=60"}, b"x", URL),
        request.headers,
        request_time=0.0,
        response_time=0.0,
    )
    assert await store.put("k", entry, 0.05, 0.0)
    assert len(await store.get("k", 0.0)) == 1
    import asyncio

    await asyncio.sleep(0.12)
    assert await store.get("k", 0.0) == []
    assert await client.exists(f"{prefix}:k") == 0
    assert not await store.put("k", entry, 0.0, 0.0)


async def test_canary_never_reaches_redis(client: Redis, prefix: str) -> None:
    cache = ResponseCache(RedisCacheStore(client, prefix=prefix), clock=FakeClock())
    origin = Origin({"Cache-Control": "max-age=60", "Vary": "Authorization"})
    policy = CachePolicy(store_authenticated=True)
    request = OutgoingRequest(
        "GET",
        URL,
        params=[("api_key", CANARY), ("page", "2")],
        headers=CIMultiDict(Authorization=f"Bearer {CANARY}"),
    )
    await cache.fetch(request, origin, policy)
    response, status = await cache.fetch(request, origin, policy)
    assert status == "hit"
    assert CANARY in response.url  # served with the caller's own query back in place
    assert f"{CANARY}-auth" not in response.url
    stored = await dump(client, prefix)
    assert stored  # something was written...
    assert not [item for item in stored if CANARY.encode() in item]  # ...but never the canary


async def test_store_level_operations(client: Redis, prefix: str) -> None:
    store = RedisCacheStore(client, prefix=prefix)
    headers = CIMultiDict({"Accept": "json"})
    entries = [
        make_entry(
            RawResponse.build(200, {"Vary": "Accept", "Cache-Control": "max-age=9"}, body, URL),
            CIMultiDict({"Accept": accept}),
            request_time=0.0,
            response_time=float(i),
        )
        for i, (accept, body) in enumerate([("json", b"j"), ("html", b"h")])
    ]
    for entry in entries:
        await store.put("p", entry, 30.0, 2.0)
    got = await store.get("p", 2.0)
    assert [e.response.body for e in got] == [b"j", b"h"]
    assert got[0].vary_digest == entries[0].vary_digest
    assert headers  # the digest, not the value, is stored
    await store.delete("p")
    assert await store.get("p", 2.0) == []
    await store.put("q", entries[0], 30.0, 2.0)
    await store.clear()
    assert await dump(client, prefix) == []


async def test_rejects_decoding_clients_and_bad_prefixes(redis_url: str, client: Redis) -> None:
    decoding = Redis.from_url(redis_url, decode_responses=True)
    try:
        with pytest.raises(ValueError, match="decode_responses"):
            RedisCacheStore(decoding)
    finally:
        await decoding.aclose()
    with pytest.raises(ValueError, match="prefix"):
        RedisCacheStore(client, prefix="a*b")
    store = RedisCacheStore.from_url(redis_url, prefix="x")
    assert repr(store) == "RedisCacheStore(prefix='x')"
    await store.client.aclose()


def test_codec_round_trip_and_garbage() -> None:
    entry = make_entry(
        RawResponse.build(
            203, [("X", "1"), ("X", "2"), ("ETag", '"e"')], b"\x00\xffbody", URL, "OK"
        ),
        CIMultiDict(),
        request_time=10.0,
        response_time=12.0,
        ttl_override=5.0,
    )
    back = decode_entry(encode_entry(entry, 20.0), 100.0, elapsed=3.0)
    assert back is not None
    assert back.response == entry.response
    assert (back.response_time, back.request_time) == (100.0 - 8.0 - 3.0, 100.0 - 8.0 - 3.0 - 2.0)
    assert (back.lifetime, back.initial_age, back.overridden) == (5.0, 2.0, True)
    for garbage in (
        b"",
        b"PC1",
        b"PC1\x00\x00\x00\x09{not json",
        b"XYZ" + b"\x00" * 10,
        b"PC1\x00\x00\x00\x02{}",
    ):
        assert decode_entry(garbage, 0.0) is None
