"""The connector under test on every dialect: SQLite (file and memory), PostgreSQL, MariaDB.

``db``: a connected ``SQLConnector`` (``max_size=4``; an in-memory SQLite database always
has one connection), once per dialect; PostgreSQL and MariaDB need their test servers.
``table``: a fresh, empty ``(id, name, age)`` table in ``db``, dropped afterwards.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from paca.sql._config import SQLConfig, create_sqlite_config
from paca.sql._connector import SQLConnector

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

DIALECTS = [
    "sqlite",
    "sqlite-memory",
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


def _config_for(
    name: str, request: pytest.FixtureRequest, tmp_path: Path, **options: Any
) -> SQLConfig:
    if name == "sqlite":
        return create_sqlite_config(str(tmp_path / "test.db"), **options)
    if name == "sqlite-memory":
        return create_sqlite_config(":memory:", **options)
    url = request.getfixturevalue("postgres_url" if name == "postgresql" else "mysql_url")
    return SQLConfig.from_url(url, **options)


@pytest.fixture(params=DIALECTS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLConnector]:
    connector = SQLConnector(_config_for(request.param, request, tmp_path, max_size=4))
    (await connector.connect()).unwrap()
    yield connector
    await connector.disconnect()


@pytest.fixture
async def table(db: SQLConnector) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    ddl = f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, age INTEGER)"
    (await db.execute(ddl)).unwrap()
    yield name
    await db.execute(f"DROP TABLE {name}")
