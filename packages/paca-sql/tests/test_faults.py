"""Real faults: the server kills the pool's sessions; the pool replaces them."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from paca.resilience import FakeClock
from paca.result import ErrorKind
from paca.sql._config import SQLConfig, create_sqlite_config
from paca.sql._connector import SQLConnector


@pytest.mark.postgres
async def test_postgres_terminated_backends_are_replaced(postgres_url: str) -> None:
    app = f"paca-fault-{uuid.uuid4().hex[:8]}"
    async with (
        SQLConnector(
            SQLConfig.from_url(postgres_url, max_size=3, min_size=3, application_name=app)
        ) as db,
        SQLConnector(SQLConfig.from_url(postgres_url, max_size=1)) as admin,
    ):
        assert db.stats().size == 3
        killed = await admin.execute_query(
            "SELECT pg_terminate_backend(pid) AS k FROM pg_stat_activity "
            "WHERE application_name = :app",
            {"app": app},
        )
        assert len(killed.unwrap()) == 3
        read = await db.execute_query("SELECT 1 AS one")  # retried on a fresh connection
        assert read.data == [{"one": 1}]
        write = await db.execute("SELECT 1")
        assert write.is_success or write.kind is ErrorKind.CONNECTION  # never retried
        for _ in range(5):
            assert (await db.fetch_value("SELECT 2")).data == 2
        assert db.stats().lost >= 1


@pytest.mark.postgres
async def test_postgres_write_is_not_retried(postgres_url: str) -> None:
    """A write whose connection dies while it runs fails, and is never sent again.

    The backend is terminated while the INSERT is running on the server (seen in
    pg_stat_activity), so the failure is certain; a retry would insert the row.
    """
    app = f"paca-fault-{uuid.uuid4().hex[:8]}"
    table = f"paca_fault_{uuid.uuid4().hex[:8]}"
    cfg = SQLConfig.from_url(postgres_url, max_size=1, application_name=app, liveness_after=3600)
    async with (
        SQLConnector(cfg) as db,
        SQLConnector(SQLConfig.from_url(postgres_url, max_size=1)) as admin,
    ):
        (await admin.execute(f"CREATE TABLE {table} (x int)")).unwrap()
        try:
            write = asyncio.create_task(
                db.execute(f"INSERT INTO {table} SELECT 1 FROM pg_sleep(30)")  # noqa: S608
            )
            running = (
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app "
                "AND state = 'active' AND query LIKE 'INSERT%'"
            )
            while not (await admin.fetch_value(running, {"app": app})).data:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            await admin.execute_query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :app",
                {"app": app},
            )
            result = await asyncio.wait_for(write, timeout=25)
            assert result.kind is ErrorKind.CONNECTION
            assert result.meta.get("attempts") is None
            count = f"SELECT count(*) FROM {table}"  # noqa: S608 - a generated test table
            assert (await admin.fetch_value(count)).data == 0
            assert (await db.execute("SELECT 1")).is_success  # the pool replaced the connection
        finally:
            await admin.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.mark.mysql
async def test_mariadb_killed_connections_are_replaced(mysql_url: str) -> None:
    cfg = SQLConfig.from_url(mysql_url, max_size=2, min_size=2, liveness_after=3600)
    async with (
        SQLConnector(cfg) as db,
        SQLConnector(SQLConfig.from_url(mysql_url, max_size=1)) as admin,
    ):
        pool = db._pool
        assert pool is not None
        ids = [slot.conn.thread_id() for slot in pool._idle]
        for conn_id in ids:
            (await admin.execute(f"KILL {int(conn_id)}")).unwrap()
        read = await db.execute_query("SELECT 1 AS one")
        assert read.data == [{"one": 1}]
        assert read.meta.get("attempts", 1) >= 1
        for _ in range(5):
            assert (await db.fetch_value("SELECT 2")).data == 2
        assert db.stats().lost >= 1


async def test_connection_lifetime_and_idle_timeout_with_a_fake_clock(tmp_path: object) -> None:
    clock = FakeClock()
    cfg = create_sqlite_config(
        f"{tmp_path}/life.db",
        max_size=2,
        min_size=0,
        max_lifetime=100.0,
        lifetime_jitter=0.2,
        idle_timeout=None,
    )
    db = SQLConnector(cfg, clock=clock)
    (await db.connect()).unwrap()
    assert (await db.fetch_value("SELECT 1")).data == 1
    opened = db.stats().opened
    await clock.advance(101.0)
    assert (await db.fetch_value("SELECT 1")).data == 1
    stats = db.stats()
    assert stats.opened == opened + 1
    assert stats.closed >= 1
    await db.disconnect()


async def test_idle_connections_are_pinged_and_dead_ones_replaced(tmp_path: object) -> None:
    clock = FakeClock()
    cfg = create_sqlite_config(f"{tmp_path}/idle.db", max_size=1, liveness_after=5.0)
    db = SQLConnector(cfg, clock=clock)
    (await db.connect()).unwrap()
    pool = db._pool
    assert pool is not None
    await pool._idle[0].conn.close()  # the connection dies while idle
    await clock.advance(10.0)
    assert (await db.fetch_value("SELECT 3")).data == 3
    assert db.stats().lost == 1
    await db.disconnect()


async def test_acquire_timeout_is_a_timeout_result(tmp_path: object) -> None:
    db = SQLConnector(create_sqlite_config(f"{tmp_path}/busy.db", max_size=1, acquire_timeout=0.05))
    (await db.connect()).unwrap()
    async with db.transaction():
        result = await db.fetch_value("SELECT 1")
        assert result.kind is ErrorKind.TIMEOUT
        assert db.stats().waiters == 0
    assert (await db.fetch_value("SELECT 1")).data == 1
    await db.disconnect()
