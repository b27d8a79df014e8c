"""Requests per second of UniversalAPIClient beside raw aiohttp, httpx and a hand-glued stack.

Run: ``python tools/bench -k http`` (or ``pytest tests/performance/test_bench_http.py
--benchmark-only``). The server is an aiohttp app in another process (started once per
module) answering a small JSON body on 127.0.0.1. Each round sends ``CALLS_C1`` requests one
after another (group ``http-c1``) or ``CALLS_C64`` requests from 64 concurrent tasks (group
``http-c64``); every client decodes the JSON. Competitors:

- raw aiohttp (the baseline);
- httpx ``AsyncClient``;
- aiohttp glued with tenacity (retry) + purgatory (breaker) + aiolimiter (limiter);
- ``UniversalAPIClient`` with retry, per-host breaker, limiter and statistics on.

Goal: UniversalAPIClient >= 90 % of raw aiohttp's throughput (ratio <= 1.11).

On a shared machine whole runs swing; ``python tests/performance/test_bench_http.py`` (in the
bench environment: ``hatch run bench:python tests/performance/test_bench_http.py``) measures
the same two clients, raw aiohttp and ours, alternating round by round in one process against
one server, and prints the median time ratio of each group (and of the process's CPU time,
the client's own cost); with ``--instructions`` it counts instead the instructions per request
of each (valgrind), which no other load disturbs.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from paca.http._client import UniversalAPIClient
from paca.resilience import BreakerConfig, RateLimiter, RetryPolicy

try:
    from paca_testing.processes import server_process
except ImportError:  # run as a script: pytest is not there to put tests/support on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
    from paca_testing.processes import server_process

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

CALLS_C1 = 300
CONCURRENCY = 64
CALLS_C64 = CONCURRENCY * 16
ROUNDS = 10
HUGE = 10_000_000

SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from aiohttp import web

    BODY = b'{"id": 1, "title": "hello", "tags": ["a", "b"]}'

    async def handle(request):
        return web.Response(body=BODY, content_type="application/json")

    async def main():
        app = web.Application()
        app.router.add_get("/item", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with server_process(SERVER) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


def _batch(
    one: Callable[[], Awaitable[Any]], concurrency: int, calls: int
) -> Callable[[], Awaitable[None]]:
    """One round: ``calls`` calls of ``one`` from ``concurrency`` tasks."""
    per_task = calls // concurrency

    async def worker() -> None:
        for _ in range(per_task):
            await one()

    async def batch() -> None:
        if concurrency == 1:
            await worker()
        else:
            await asyncio.gather(*(worker() for _ in range(concurrency)))

    return batch


def _measure(
    benchmark: Any,
    loop: asyncio.AbstractEventLoop,
    one: Callable[[], Awaitable[Any]],
    concurrency: int,
    calls: int,
) -> None:
    batch = _batch(one, concurrency, calls)
    loop.run_until_complete(batch())  # warm-up: connections opened, breaker window filled
    benchmark.pedantic(lambda: loop.run_until_complete(batch()), rounds=ROUNDS, iterations=1)
    benchmark.extra_info["calls"] = calls
    benchmark.extra_info["requests_per_s"] = round(calls / benchmark.stats.stats.median)


CASES = [(1, CALLS_C1, "http-c1"), (CONCURRENCY, CALLS_C64, "http-c64")]


def _connector() -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)


@pytest.mark.parametrize(("concurrency", "calls", "group"), CASES)
def test_raw_aiohttp_baseline(
    benchmark: Any, loop: asyncio.AbstractEventLoop, server_url: str,
    concurrency: int, calls: int, group: str,
) -> None:  # fmt: skip
    benchmark.group = group
    session = loop.run_until_complete(_make_session())
    url = server_url + "/item"

    async def one() -> Any:
        async with session.get(url) as response:
            return await response.json()

    try:
        _measure(benchmark, loop, one, concurrency, calls)
    finally:
        loop.run_until_complete(session.close())


async def _make_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=_connector(), cookie_jar=aiohttp.DummyCookieJar())


@pytest.mark.parametrize(("concurrency", "calls", "group"), CASES)
def test_httpx(
    benchmark: Any, loop: asyncio.AbstractEventLoop, server_url: str,
    concurrency: int, calls: int, group: str,
) -> None:  # fmt: skip
    httpx = pytest.importorskip("httpx")
    benchmark.group = group
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    client = httpx.AsyncClient(limits=limits)
    url = server_url + "/item"

    async def one() -> Any:
        response = await client.get(url)
        return response.json()

    try:
        _measure(benchmark, loop, one, concurrency, calls)
    finally:
        loop.run_until_complete(client.aclose())


@pytest.mark.parametrize(("concurrency", "calls", "group"), CASES)
def test_aiohttp_tenacity_purgatory_aiolimiter(
    benchmark: Any, loop: asyncio.AbstractEventLoop, server_url: str,
    concurrency: int, calls: int, group: str,
) -> None:  # fmt: skip
    tenacity = pytest.importorskip("tenacity")
    purgatory = pytest.importorskip("purgatory")
    aiolimiter = pytest.importorskip("aiolimiter")
    benchmark.group = group
    session = loop.run_until_complete(_make_session())
    breakers = purgatory.AsyncCircuitBreakerFactory(default_threshold=10, default_ttl=30)
    breaker = loop.run_until_complete(breakers.get_breaker("127.0.0.1"))
    limiter = aiolimiter.AsyncLimiter(HUGE, 1.0)
    url = server_url + "/item"
    retrying = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(3),
        wait=tenacity.wait_random_exponential(multiplier=0.1, max=10),
        retry=tenacity.retry_if_exception_type(aiohttp.ClientConnectionError),
        reraise=True,
    )

    async def attempt() -> Any:
        async with breaker, session.get(url) as response:
            return await response.json()

    async def one() -> Any:
        async with limiter:
            return await retrying(attempt)

    try:
        _measure(benchmark, loop, one, concurrency, calls)
    finally:
        loop.run_until_complete(session.close())


def _full_stack_client(server_url: str) -> UniversalAPIClient:
    return UniversalAPIClient(
        server_url,
        retry=RetryPolicy(attempts=3),
        breaker=BreakerConfig(),
        rate_limit=RateLimiter(HUGE, per=1.0),
    )


@pytest.mark.parametrize(("concurrency", "calls", "group"), CASES)
def test_universal_api_client_full_stack(
    benchmark: Any, loop: asyncio.AbstractEventLoop, server_url: str,
    concurrency: int, calls: int, group: str,
) -> None:  # fmt: skip
    benchmark.group = group
    client = _full_stack_client(server_url)
    loop.run_until_complete(client.initialize())

    async def one() -> Any:
        result = await client.get("/item")
        assert result.is_success
        return result.data

    try:
        _measure(benchmark, loop, one, concurrency, calls)
        assert next(iter(client.stats().values())).count >= calls
    finally:
        loop.run_until_complete(client.cleanup())


async def _pair(server_url: str) -> tuple[Callable[[], Awaitable[None]], dict[str, Any]]:
    """Raw aiohttp and ours, set up as in the benchmarks; returns (close, {name: one call})."""
    session = await _make_session()
    client = _full_stack_client(server_url)
    await client.initialize()
    url = server_url + "/item"

    async def raw() -> Any:
        async with session.get(url) as response:
            return await response.json()

    async def ours() -> Any:
        result = await client.get("/item")
        assert result.is_success
        return result.data

    async def close() -> None:
        await session.close()
        await client.cleanup()

    return close, {"raw": raw, "ours": ours}


async def _interleaved(server_url: str, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per group, ours / raw of each pair of rounds (order alternating): wall time and CPU.

    ``"cpu"`` is this process's CPU time (user + kernel, ``time.process_time``): the
    client's own cost, which the server, the other CPU and other load do not change.
    """
    close, clients = await _pair(server_url)
    ratios: dict[str, dict[str, list[float]]] = {}
    try:
        for concurrency, calls, group in CASES:
            batches = [_batch(clients[name], concurrency, calls) for name in ("raw", "ours")]
            for batch in batches:
                await batch()  # warm-up
            ratios[group] = {"wall": [], "cpu": []}
            for n in range(rounds):
                seconds = [0.0, 0.0]
                cpu = [0.0, 0.0]
                for index in (0, 1) if n % 2 else (1, 0):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    await batches[index]()
                    seconds[index] = time.perf_counter() - started
                    cpu[index] = time.process_time() - cpu_started
                ratios[group]["wall"].append(seconds[1] / seconds[0])
                ratios[group]["cpu"].append(cpu[1] / cpu[0])
    finally:
        await close()
    return ratios


async def _only(server_url: str, name: str, rounds: int, concurrency: int, calls: int) -> None:
    """A warm-up round then ``rounds`` rounds of one client (what --instructions counts)."""
    close, clients = await _pair(server_url)
    try:
        batch = _batch(clients[name], concurrency, calls)
        for _ in range(rounds + 1):
            await batch()
    finally:
        await close()


def _instructions(name: str, concurrency: int, calls: int) -> float:
    """Instructions per call of one client, counted by valgrind (this process only)."""
    counts = []
    for rounds in (1, 4):
        command = [
            "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
            sys.executable, __file__, "--only", name, str(rounds), str(concurrency), str(calls),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
        assert found is not None, done.stderr[-2000:]
        counts.append(int(found.group(1).replace(",", "")))
    return (counts[1] - counts[0]) / (3 * calls)


def main(argv: list[str]) -> None:
    """Print ours / raw aiohttp per group: time ratio of interleaved rounds, or instructions.

    ``[ROUNDS]``: the median time ratio over ROUNDS (default 31) pairs of rounds, the two
    clients alternating in one process, and the median ratio of this process's CPU time
    (what the client itself spends, kernel included; at c=64 the client is the bottleneck
    and the wall ratio follows it). ``--instructions``: instructions per request of each
    client counted by valgrind (independent of the machine's load; needs valgrind).
    """
    if argv[:1] == ["--only"]:
        name, rounds, concurrency, calls = argv[1], *map(int, argv[2:5])
        with server_process(SERVER) as port:
            asyncio.run(_only(f"http://127.0.0.1:{port}", name, rounds, concurrency, calls))
        return
    if argv[:1] == ["--instructions"]:
        for concurrency, calls, group in CASES:
            raw, ours = (_instructions(name, concurrency, calls) for name in ("raw", "ours"))
            print(
                f"{group}: instructions per request: raw aiohttp {raw / 1000:.1f}k, "
                f"UniversalAPIClient {ours / 1000:.1f}k, ratio {ours / raw:.3f}"
            )
        return
    if argv[:1] in (["-h"], ["--help"]) or (argv and not argv[0].isdigit()):
        print("usage: test_bench_http.py [ROUNDS] | --instructions\n\n" + (main.__doc__ or ""))
        raise SystemExit(0 if argv[:1] in (["-h"], ["--help"]) else 2)
    rounds = int(argv[0]) if argv else 31
    with server_process(SERVER) as port:
        ratios = asyncio.run(_interleaved(f"http://127.0.0.1:{port}", rounds))
    for group, by_kind in ratios.items():
        values = by_kind["wall"]
        quartiles = statistics.quantiles(values, n=4)
        print(
            f"{group}: UniversalAPIClient / raw aiohttp = {statistics.median(values):.3f} "
            f"(median of {len(values)} interleaved rounds; quartiles "
            f"{quartiles[0]:.3f}-{quartiles[2]:.3f}); client CPU "
            f"{statistics.median(by_kind['cpu']):.3f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
