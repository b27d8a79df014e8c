# ruff: noqa: S608  (table names are generated uuids; values are always bound)
"""1,000 random cancellations against real servers: no leaked connection, no open transaction.

Tasks are cancelled after random tiny delays on the real event loop; nothing
asserts on timing. Afterwards the server's own view of its sessions is read.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from paca.sql._config import SQLConfig
from paca.sql._connector import SQLConnector

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

POOL = 4
CANCELLATIONS = 1000


async def hammer(db: SQLConnector, table: str, rng: random.Random) -> None:
    async def in_transaction() -> None:
        async with db.transaction() as tx:
            await tx.execute(f"UPDATE {table} SET n = n + 1 WHERE id = 1")
            await tx.fetch_value(f"SELECT n FROM {table} WHERE id = 1")
            await asyncio.sleep(0)
            await tx.execute(f"UPDATE {table} SET n = n + 1 WHERE id = 1")

    async def stream() -> None:
        async for _ in db.stream(f"SELECT id FROM {table}", batch_size=1):
            await asyncio.sleep(0)

    operations: list[Callable[[], Awaitable[Any]]] = [
        lambda: db.execute_query(f"SELECT * FROM {table}"),
        lambda: db.execute(f"UPDATE {table} SET n = n + 1 WHERE id = 2"),
        lambda: db.fetch_value("SELECT 1"),
        in_transaction,
        stream,
    ]
    cancelled = 0
    while cancelled < CANCELLATIONS:
        batch = [asyncio.ensure_future(rng.choice(operations)()) for _ in range(8)]
        await asyncio.sleep(rng.random() * 0.003)
        for task in batch:
            if not task.done():
                task.cancel()
                cancelled += 1
        await asyncio.gather(*batch, return_exceptions=True)


async def run_scenario(db: SQLConnector, create: str) -> str:
    table = f"cancel_{uuid.uuid4().hex[:10]}"
    (await db.execute(create.format(table=table))).unwrap()
    (await db.execute_many(f"INSERT INTO {table} (id, n) VALUES (?, 0)", [[1], [2], [3]])).unwrap()
    await hammer(db, table, random.Random(1234))
    # the pool still works after all that
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 3
    return table


async def settle(check: Callable[[], Awaitable[bool]]) -> bool:
    for _ in range(100):  # terminated sessions take a moment to disappear server-side
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.postgres
@pytest.mark.slow
async def test_postgres_random_cancellations_leak_nothing(postgres_url: str) -> None:
    app = f"paca-cancel-{uuid.uuid4().hex[:8]}"
    cfg = SQLConfig.from_url(postgres_url, max_size=POOL, application_name=app)
    async with SQLConnector(cfg) as db:
        table = await run_scenario(db, "CREATE TABLE {table} (id INTEGER PRIMARY KEY, n INTEGER)")
        async with SQLConnector(SQLConfig.from_url(postgres_url, max_size=1)) as observer:

            async def clean() -> bool:
                rows = await observer.execute_query(
                    "SELECT state FROM pg_stat_activity WHERE application_name = :app", {"app": app}
                )
                states = [r["state"] for r in rows.unwrap()]
                return len(states) <= POOL and not any("transaction" in (s or "") for s in states)

            assert await settle(clean)
            stats = db.stats()
            assert stats.in_use == 0
            assert stats.size <= POOL
            assert stats.lost > 0  # cancellations did interrupt statements
            await db.execute(f"DROP TABLE {table}")


@pytest.mark.mysql
@pytest.mark.slow
async def test_mariadb_random_cancellations_leak_nothing(mysql_url: str) -> None:
    admin = SQLConnector(SQLConfig.from_url(mysql_url, max_size=1))
    (await admin.connect()).unwrap()
    user = f"paca_c_{uuid.uuid4().hex[:8]}"
    database = admin.config.database
    (await admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{user}'")).unwrap()
    (await admin.execute(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY 'pw-{user}'")).unwrap()
    for host in ("%", "localhost"):
        (await admin.execute(f"GRANT ALL ON `{database}`.* TO '{user}'@'{host}'")).unwrap()
    cfg = SQLConfig.from_url(mysql_url, max_size=POOL, user=user, password=f"pw-{user}")
    try:
        async with SQLConnector(cfg) as db:
            table = await run_scenario(
                db, "CREATE TABLE {table} (id INTEGER PRIMARY KEY, n INTEGER)"
            )

            async def clean() -> bool:
                rows = (
                    await admin.execute_query(
                        "SELECT p.ID AS id, t.TRX_STATE AS trx "
                        "FROM information_schema.PROCESSLIST p "
                        "LEFT JOIN information_schema.INNODB_TRX t "
                        "ON t.trx_mysql_thread_id = p.ID "
                        "WHERE p.USER = :user",
                        {"user": user},
                    )
                ).unwrap()
                return len(rows) <= POOL and not any(r["trx"] for r in rows)

            assert await settle(clean)
            assert db.stats().in_use == 0
            assert db.stats().size <= POOL
            await db.execute(f"DROP TABLE {table}")
    finally:
        for host in ("%", "localhost"):
            await admin.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
        await admin.disconnect()
