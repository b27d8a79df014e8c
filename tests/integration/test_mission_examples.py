"""The entry points of MISSION.md, imported and run exactly as a user writes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def test_the_database_example_runs_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    from paca.integrations.databases import QueryBuilder, SQLConnector, create_sqlite_config
    from paca.integrations.databases.sql_connector import create_sqlite_config as same_helper

    assert same_helper is create_sqlite_config
    db = SQLConnector(create_sqlite_config("app.db"))
    await db.connect()
    result = await db.execute_query("SELECT 1 AS test")
    await db.disconnect()
    assert result.is_success
    assert result.data == [{"test": 1}]
    assert result.error is None
    assert (tmp_path / "app.db").exists()
    assert QueryBuilder("t", dialect="sqlite").select("a").build() == ('SELECT "a" FROM "t"', [])


async def test_the_api_example_runs_unchanged_against_a_local_stand_in() -> None:
    from aiohttp import web

    async def posts(request: web.Request) -> web.Response:
        return web.json_response([{"id": 1, "title": "hello"}])

    app = web.Application()
    app.router.add_get("/posts", posts)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"  # stands in for api.example.com
    try:
        from paca.integrations.apis import (
            APIEndpoint,
            APIRegistry,
            AuthManager,
            CircuitBreaker,
            HTTPMethod,
            RateLimiter,
            RESTClient,
            UniversalAPIClient,
        )

        assert {APIRegistry, AuthManager, CircuitBreaker, RateLimiter, RESTClient}
        client = UniversalAPIClient(base_url)
        await client.initialize()
        client.register_endpoint(APIEndpoint(name="get_posts", url="/posts", method=HTTPMethod.GET))
        result = await client.get(
            "get_posts"
        )  # Result: result.is_success, result.data, result.error
        await client.cleanup()
    finally:
        await runner.cleanup()
    assert result.is_success
    assert result.data == [{"id": 1, "title": "hello"}]
    assert result.error is None
