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
