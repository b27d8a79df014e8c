"""Cost of a ResponseCache hit (``fetch`` on a fresh entry in memory) against a bare dict.

Run: ``pytest tests/performance/test_bench_cache.py --benchmark-only``.
Each round awaits ``BATCH`` fetches in one event loop; ``extra_info["per_call_us"]`` is the
round time divided by ``BATCH``. Goal: >= 50,000 hits/s (<= 20 us per hit) in memory.

The baseline is the least any cache must do: a dict lookup by URL and a copy of the stored
response. The cache adds the key hash (SHA-256 of method + normalised URL + sorted query),
request Cache-Control handling, the freshness decision and the store's LRU bookkeeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from multidict import CIMultiDict

from paca.http._cache import ResponseCache
from paca.http._exchange import OutgoingRequest, RawResponse

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    RunBatches = Callable[..., None]  # the ``run`` fixture of conftest.py: run(batch, calls)

BATCH = 10_000
URL = "https://api.test/items"
STORED = RawResponse.build(200, {"Cache-Control": "max-age=3600", "ETag": '"v1"'}, b"x" * 512, URL)


async def origin(request: OutgoingRequest) -> RawResponse:
    return STORED


def test_dict_lookup_and_copy_baseline(run: RunBatches) -> None:
    table = {f"GET {URL}?page=2": STORED}

    async def lookup(request: OutgoingRequest) -> RawResponse:
        r = table[f"{request.method} {request.url}?page=2"]
        return RawResponse(r.status, r.headers, r.body, r.url, r.reason)

    request = OutgoingRequest("GET", URL, params=[("page", "2")])

    async def batch() -> None:
        for _ in range(BATCH):
            await lookup(request)

    run(batch, BATCH)


def _hits(run: RunBatches, loop: asyncio.AbstractEventLoop, request: OutgoingRequest) -> None:
    cache = ResponseCache()
    fetch = cache.fetch
    assert loop.run_until_complete(fetch(request, origin))[1] == "miss"

    async def batch() -> None:
        for _ in range(BATCH):
            await fetch(request, origin)

    run(batch, BATCH)
    assert cache.stats().misses == 1


def test_paca_cache_hit(run: RunBatches, loop: asyncio.AbstractEventLoop) -> None:
    _hits(run, loop, OutgoingRequest("GET", URL, params=[("page", "2")]))


def test_paca_cache_hit_with_headers(run: RunBatches, loop: asyncio.AbstractEventLoop) -> None:
    headers = CIMultiDict({"Accept": "application/json", "User-Agent": "bench", "X-Trace": "1"})
    _hits(run, loop, OutgoingRequest("GET", URL, params=[("page", "2")], headers=headers))
