"""Webhook intake: verified, deduplicated, persisted deliveries per second, and ack latency.

Run: ``pytest tests/performance/test_bench_webhooks.py --benchmark-only``

The receiver runs in its own process (``python -c`` of :data:`SERVER`), the load generator here:
one aiohttp session over loopback with ``CONCURRENCY`` connections sends ``BATCH`` deliveries
per round, each signed with Standard Webhooks (HMAC-SHA256) and carrying a new event id, so
every one is verified, deduplicated (a new key) and committed before its 2xx. Group
``intake``: the baseline is a bare aiohttp app that reads the body and answers 200 (no
verification, no storage); ``extra_info`` holds ``deliveries_per_s`` and ack ``p50_ms`` /
``p99_ms`` (client-side round trips). The issue's goal: >= 2,000 deliveries/s with SQLite.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from paca_testing.processes import server_process

if TYPE_CHECKING:
    from pathlib import Path

BATCH = 2000
CONCURRENCY = 32
ROUNDS = 5
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

SERVER = r"""
import asyncio, sys
from aiohttp import web

async def main(kind, target, secret):
    if kind == "baseline":
        async def ok(request):
            await request.read()
            return web.Response(status=200)
        app = web.Application()
        app.router.add_post("/h", ok)
    else:
        from paca.webhooks._handler import WebhookHandler
        from paca.webhooks._inbox_redis import RedisInbox
        from paca.webhooks._inbox_sqlite import SQLiteInbox
        from paca.webhooks._verifiers import StandardWebhooksVerifier
        if kind == "sqlite":
            inbox = SQLiteInbox(target)
        else:
            url, _, prefix = target.partition("#")
            inbox = RedisInbox(url, prefix=prefix)
        hooks = WebhookHandler(verifier=StandardWebhooksVerifier([secret]), inbox=inbox)
        app = hooks.create_app("/h")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main(*sys.argv[1:4]))
"""


@pytest.fixture(autouse=True)
def _benchmark_only(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("benchmark_only", default=False):
        pytest.skip("benchmarks run only with --benchmark-only")


def deliveries(count: int) -> list[tuple[bytes, dict[str, str]]]:
    from paca.webhooks._signing import sign_standard_webhook

    now = time.time()
    out = []
    for _ in range(count):
        event_id = f"msg_{uuid.uuid4().hex}"
        body = json.dumps({"type": "invoice.paid", "data": {"amount": 1200}}).encode()
        out.append((body, sign_standard_webhook(SECRET, event_id, now, body)))
    return out


def measure(benchmark: Any, loop: asyncio.AbstractEventLoop, kind: str, target: str) -> None:
    with server_process(SERVER, kind, target, SECRET) as port:
        _measure_against(benchmark, loop, f"http://127.0.0.1:{port}/h")


def _measure_against(benchmark: Any, loop: asyncio.AbstractEventLoop, url: str) -> None:
    import aiohttp

    latencies: list[float] = []

    async def open_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY))

    session = loop.run_until_complete(open_session())

    async def send_all(batch: list[tuple[bytes, dict[str, str]]]) -> None:
        queue = iter(batch)

        async def client() -> None:
            for body, headers in queue:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))

    try:
        loop.run_until_complete(send_all(deliveries(200)))  # warm-up
        latencies.clear()
        benchmark.pedantic(
            lambda batch: loop.run_until_complete(send_all(batch)),
            setup=lambda: ((deliveries(BATCH),), {}),
            rounds=ROUNDS,
            iterations=1,
        )
    finally:
        loop.run_until_complete(session.close())
    median = benchmark.stats.stats.median
    cuts = statistics.quantiles(latencies, n=100)
    benchmark.extra_info["calls"] = BATCH
    benchmark.extra_info["batch"] = BATCH
    benchmark.extra_info["per_call_us"] = round(median / BATCH * 1e6, 3)
    benchmark.extra_info["deliveries_per_s"] = round(BATCH / median)
    benchmark.extra_info["p50_ms"] = round(statistics.median(latencies) * 1000, 3)
    benchmark.extra_info["p99_ms"] = round(cuts[98] * 1000, 3)


@pytest.mark.benchmark(group="intake")
def test_intake_baseline_bare_aiohttp(benchmark: Any, loop: asyncio.AbstractEventLoop) -> None:
    measure(benchmark, loop, "baseline", "-")


@pytest.mark.benchmark(group="intake")
def test_intake_sqlite(benchmark: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    measure(benchmark, loop, "sqlite", str(tmp_path / "bench.db"))


@pytest.mark.redis
@pytest.mark.benchmark(group="intake")
def test_intake_redis(benchmark: Any, loop: asyncio.AbstractEventLoop, redis_url: str) -> None:
    prefix = f"paca-bench:webhooks:{uuid.uuid4().hex}"
    try:
        measure(benchmark, loop, "redis", f"{redis_url}#{prefix}")
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
