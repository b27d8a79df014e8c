"""Demo step: ``paca-http`` against an in-process aiohttp server standing in for an API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from paca.http import APIEndpoint, AuthManager, HTTPMethod, ResponseCache, UniversalAPIClient
from paca.integrations._demo._expect import expect
from paca.resilience import RetryPolicy
from paca.result import ErrorKind

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["run"]

POSTS = [{"id": 1, "title": "hello"}, {"id": 2, "title": "resilience"}]


def _api() -> web.Application:
    flaky_calls = 0

    async def posts(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer demo-token":
            return web.json_response({"error": "unauthorized"}, status=401)
        return web.json_response(POSTS, headers={"Cache-Control": "max-age=60"})

    async def post(request: web.Request) -> web.Response:
        wanted = int(request.match_info["id"])
        found = [p for p in POSTS if p["id"] == wanted]
        return web.json_response(found[0]) if found else web.json_response({}, status=404)

    async def flaky(request: web.Request) -> web.Response:
        nonlocal flaky_calls
        flaky_calls += 1
        if flaky_calls < 3:
            return web.json_response({}, status=503, headers={"Retry-After": "0"})
        return web.json_response({"ok": True, "after": flaky_calls})

    app = web.Application()
    app.router.add_get("/posts", posts)
    app.router.add_get("/posts/{id}", post)
    app.router.add_get("/flaky", flaky)
    return app


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def run(say: Callable[[str], None]) -> None:
    """Call endpoints by name: cached reads, a 404, a retried 503, then the statistics."""
    runner, base = await _serve(_api())
    try:
        client = UniversalAPIClient(
            base,
            auth=AuthManager.bearer("demo-token"),
            retry=RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01),
            cache=ResponseCache(),
        )
        await client.initialize()
        client.register_endpoint(APIEndpoint(name="get_posts", url="/posts", method=HTTPMethod.GET))
        client.register_endpoint(APIEndpoint(name="get_post", url="/posts/{id}"))
        client.register_endpoint(APIEndpoint(name="flaky", url="/flaky"))

        posts = await client.get("get_posts")
        say(f"get_posts -> {len(posts.data or [])} posts, status {posts.meta.get('status')}")
        expect(posts.is_success and posts.data == POSTS, "the client decodes JSON")
        one = await client.get("get_post", path_params={"id": 2})
        say(f"get_post id=2 -> {one.data}")
        missing = await client.get("get_post", path_params={"id": 99})
        say(f"get_post id=99 -> failed: kind={missing.kind}, error={missing.error!r}")
        expect(missing.kind is ErrorKind.NOT_FOUND, "a 404 is a failed Result, not an exception")
        flaky = await client.get("flaky")
        say(f"flaky -> {flaky.data} after {flaky.meta.get('attempts')} attempts (503s retried)")
        expect(flaky.is_success and flaky.meta.get("attempts") == 3, "503s are retried")

        for name, stats in client.stats().items():
            say(
                f"stats {name}: {stats.count} calls, {stats.successes} ok, "
                f"p95 {stats.latency_p95 * 1000:.1f} ms, retries {stats.retries}, "
                f"errors {dict(stats.errors)}"
            )
        await client.cleanup()
    finally:
        await runner.cleanup()
