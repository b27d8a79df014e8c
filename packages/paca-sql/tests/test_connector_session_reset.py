# ruff: noqa: S608  (table names are generated uuids; values are always bound)
"""The pool skips asyncpg's per-release reset query, yet no session state reaches the next user.

One connection (max_size=1), so the next call surely reuses it: every kind of
session state set by one call must be gone for the next.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from paca.sql._config import SQLConfig
from paca.sql._connector import SQLConnector

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[SQLConnector]:
    async with SQLConnector(SQLConfig.from_url(postgres_url, max_size=1)) as db:
        yield db


@pytest.mark.postgres
async def test_clean_statements_cost_no_reset_round_trip(pg: SQLConnector) -> None:
    pid = (await pg.fetch_value("SELECT pg_backend_pid()")).data
    for _ in range(3):
        assert (await pg.fetch_value("SELECT pg_backend_pid()")).data == pid
    assert pg.stats().opened == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("dirty", "probe", "clean"),
    [
        ("SET statement_timeout = '1234ms'", "SHOW statement_timeout", "0"),
        (
            "SELECT set_config('search_path', 'pg_catalog', false)",
            "SHOW search_path",
            '"$user", public',
        ),
        (
            "SELECT pg_advisory_lock(424242)",
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
            0,
        ),
        ("LISTEN paca_chan", "SELECT COUNT(*) FROM pg_listening_channels()", 0),
        (
            "CREATE TEMP TABLE paca_tmp (a int)",
            "SELECT COUNT(*) FROM pg_class WHERE relname = 'paca_tmp' AND relpersistence = 't'",
            0,
        ),
        (
            "DECLARE paca_cur CURSOR WITH HOLD FOR SELECT 1",
            "SELECT COUNT(*) FROM pg_cursors WHERE name = 'paca_cur'",
            0,
        ),
        (
            "PREPARE paca_stmt AS SELECT 1",
            "SELECT COUNT(*) FROM pg_prepared_statements WHERE name = 'paca_stmt'",
            0,
        ),
        (
            "BEGIN",
            "SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE pid = pg_backend_pid() AND state LIKE 'idle in%'",
            0,
        ),
        ("SET ROLE pg_monitor", "SELECT current_user = session_user", True),
    ],
)
async def test_session_state_never_reaches_the_next_user(
    pg: SQLConnector, dirty: str, probe: str, clean: object
) -> None:
    pid = (await pg.fetch_value("SELECT pg_backend_pid()")).data
    assert (await pg.execute(dirty)).is_success
    assert (await pg.fetch_value(probe)).data == clean
    assert (await pg.fetch_value("SELECT pg_backend_pid()")).data == pid  # reset, not reconnected
    assert (await pg.fetch_value("SELECT 1")).data == 1  # the statement cache still works


@pytest.mark.postgres
async def test_state_set_in_a_transaction_is_reset(pg: SQLConnector) -> None:
    async with pg.transaction() as tx:
        await tx.execute("SET search_path = pg_catalog")
    assert (await pg.fetch_value("SHOW search_path")).data == '"$user", public'


@pytest.mark.mysql
async def test_mysql_session_state_is_dropped_with_the_connection(mysql_url: str) -> None:
    async with SQLConnector(SQLConfig.from_url(mysql_url, max_size=1)) as db:
        await db.execute("SET @paca_var = 42")
        assert (await db.fetch_value("SELECT @paca_var")).data is None
        name = f"tmp_{uuid.uuid4().hex[:8]}"
        await db.execute(f"CREATE TEMPORARY TABLE {name} (a int)")
        assert (await db.execute_query(f"SELECT * FROM {name}")).is_success is False
        await db.execute("SELECT GET_LOCK('paca_lock', 0)")
        assert (await db.fetch_value("SELECT IS_FREE_LOCK('paca_lock')")).data == 1
