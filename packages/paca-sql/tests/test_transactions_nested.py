# ruff: noqa: S608  (table names are generated uuids; values are always bound)
"""Nested transactions (SAVEPOINTs) and misuse, on SQLite (file and memory), PostgreSQL, MariaDB.

Timing never decides an assertion: where a test cancels "during" a statement,
whichever moment the cancellation lands on, the savepoint must be rolled back
and the enclosing transaction must go on.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import pytest

from paca.result import ErrorKind, ResultError
from paca.sql import Transaction, TransactionError, TransactionStateError
from paca.sql._config import create_sqlite_config
from paca.sql._connector import SQLConnector
from paca.sql._tx_state import _CURRENT, current_transaction

if TYPE_CHECKING:
    from pathlib import Path

SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(5)",
    "mysql": "SELECT SLEEP(0.5)",
}


async def ids(db: SQLConnector, table: str) -> list[int]:
    rows = (await db.execute_query(f"SELECT id FROM {table} ORDER BY id", as_tuples=True)).unwrap()
    return [row[0] for row in rows]


async def insert(tx: Transaction, table: str, *new: int) -> None:
    for i in new:
        (await tx.execute(f"INSERT INTO {table} (id, name) VALUES (:id, 'x')", {"id": i})).unwrap()


async def settle(db: SQLConnector) -> None:
    """Let background recovery (SQLite rolls back an abandoned connection) finish."""
    for _ in range(400):
        if db.stats().in_use == 0:
            return
        await asyncio.sleep(0.005)


# -- success and failure -------------------------------------------------------------------


async def test_a_nested_transaction_is_a_released_savepoint(db: SQLConnector, table: str) -> None:
    async with db.transaction() as tx:
        await insert(tx, table, 1)
        async with tx.transaction() as inner:
            assert inner.savepoint == "paca_sp_1"
            await insert(inner, table, 2)
            async with inner.transaction() as deepest:
                assert deepest.savepoint == "paca_sp_2"
                await insert(deepest, table, 3)
            assert (await inner.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 3
        assert tx.savepoint is None
        assert db.stats().in_use == 1  # one connection for every level
    assert await ids(db, table) == [1, 2, 3]


async def test_an_integrity_error_in_a_nested_block_spares_the_outer_one(
    db: SQLConnector, table: str
) -> None:
    async with db.transaction() as tx:
        await insert(tx, table, 1)
        with pytest.raises(TransactionError) as info:  # noqa: PT012 - the block is the subject
            async with tx.transaction() as inner:
                await insert(inner, table, 2)
                duplicate = await inner.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'y')")
                assert duplicate.kind is ErrorKind.INTEGRITY
        assert info.value.kind is ErrorKind.INTEGRITY
        assert "savepoint" in str(info.value)
        # the outer transaction goes on (PostgreSQL: ROLLBACK TO cleared the aborted state)
        assert (await tx.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 1
        await insert(tx, table, 3)
    assert await ids(db, table) == [1, 3]
    assert db.stats().in_use == 0


async def test_an_exception_in_a_nested_block_rolls_back_to_its_savepoint(
    db: SQLConnector, table: str
) -> None:
    async with db.transaction() as tx:
        await insert(tx, table, 1)
        with pytest.raises(ResultError):  # noqa: PT012 - the block is the subject
            async with tx.transaction() as inner:
                await insert(inner, table, 2)
                await insert(inner, table, 1)  # unwrap() raises: the block raises
        await insert(tx, table, 4)
    assert await ids(db, table) == [1, 4]


async def test_the_outer_rollback_undoes_released_savepoints(db: SQLConnector, table: str) -> None:
    with pytest.raises(RuntimeError, match="undo"):  # noqa: PT012 - the block is the subject
        async with db.transaction() as tx:
            async with tx.transaction() as inner:
                await insert(inner, table, 1)
            raise RuntimeError("undo")
    assert await ids(db, table) == []
    assert db.stats().in_use == 0


async def test_db_transaction_in_the_same_task_nests(db: SQLConnector, table: str) -> None:
    async def add(i: int) -> None:  # a helper that knows only the connector
        async with db.transaction() as tx:
            await insert(tx, table, i)

    async with db.transaction() as outer:
        assert current_transaction(db) is outer
        await add(1)
        async with db.transaction() as inner:
            assert inner.savepoint is not None
            assert current_transaction(db) is inner
            await add(2)  # nests in the innermost level
            await insert(outer, table, 3)  # through the outer handle: runs in the innermost level
            nested = inner
        assert current_transaction(db) is outer
        with pytest.raises(TransactionError):
            async with db.transaction() as failing:
                await failing.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'z')")
        assert db.stats().in_use == 1  # :memory: has one connection: a second would never come
    assert current_transaction(db) is None
    assert not nested.is_active
    assert await ids(db, table) == [1, 2, 3]


async def test_other_tasks_get_transactions_of_their_own(db: SQLConnector, table: str) -> None:
    async with db.transaction() as outer:
        seen: list[Transaction | None] = []

        async def child() -> None:
            seen.append(current_transaction(db))

        await asyncio.create_task(child())
        assert seen == [None]  # the context is inherited, the transaction is not
        assert current_transaction(db) is outer
        if db.dialect != "sqlite":  # SQLite: one writer, the child would wait for our lock

            async def independent() -> None:
                async with db.transaction() as own:
                    assert own.savepoint is None
                    await insert(own, table, 10)

            await asyncio.create_task(independent())
            assert db.stats().in_use == 1
        await insert(outer, table, 1)
    expected = [1] if db.dialect == "sqlite" else [1, 10]
    assert await ids(db, table) == expected


async def test_transactions_on_two_connectors_do_not_nest(tmp_path: Path) -> None:
    first = SQLConnector(create_sqlite_config(str(tmp_path / "a.db")))
    second = SQLConnector(create_sqlite_config(str(tmp_path / "b.db")))
    async with first, second:
        async with first.transaction() as a, second.transaction() as b:
            assert a.savepoint is None
            assert b.savepoint is None
            async with first.transaction() as nested:
                assert nested.savepoint == "paca_sp_1"
            assert current_transaction(second) is b
        assert current_transaction(first) is None


# -- cancellation ----------------------------------------------------------------------------


async def test_a_cancelled_nested_block_rolls_back_and_the_outer_goes_on(
    db: SQLConnector, table: str
) -> None:
    async with db.transaction() as tx:
        await insert(tx, table, 1)
        entered = asyncio.Event()

        async def nested() -> None:
            async with tx.transaction() as inner:
                await insert(inner, table, 2)
                entered.set()
                await asyncio.Event().wait()  # parked until cancelled

        task = asyncio.create_task(nested())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await tx.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 1
        await insert(tx, table, 3)
    assert await ids(db, table) == [1, 3]
    assert db.stats().in_use == 0


async def test_a_statement_cancelled_in_a_nested_block_is_rolled_back(
    db: SQLConnector, table: str
) -> None:
    slow = SLOW["sqlite" if db.dialect == "sqlite" else db.dialect]
    async with db.transaction() as tx:
        await insert(tx, table, 1)

        async def nested() -> None:
            async with tx.transaction() as inner:
                await insert(inner, table, 2)
                await inner.fetch_value(slow)
                await asyncio.Event().wait()  # the timeout always fires, mid-statement or here

        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(nested(), timeout=0.1)
        # whichever moment the timeout hit, the savepoint is gone and the outer works
        assert (await tx.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 1
        await insert(tx, table, 3)
    assert await ids(db, table) == [1, 3]
    await settle(db)
    assert db.stats().in_use == 0


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
async def test_asyncio_timeout_around_a_nested_block_in_the_same_task(
    db: SQLConnector, table: str
) -> None:
    slow = SLOW["sqlite" if db.dialect == "sqlite" else db.dialect]
    async with db.transaction() as tx:
        await insert(tx, table, 1)
        with pytest.raises(TimeoutError):  # noqa: PT012 - the block is the subject
            async with asyncio.timeout(0.1), db.transaction() as inner:  # type: ignore[attr-defined]
                await insert(inner, table, 2)
                await inner.fetch_value(slow)
                await asyncio.Event().wait()
        await insert(tx, table, 3)
    assert await ids(db, table) == [1, 3]


async def test_cancelling_the_whole_task_rolls_everything_back(
    db: SQLConnector, table: str
) -> None:
    entered = asyncio.Event()

    async def work() -> None:
        async with db.transaction() as tx:
            await insert(tx, table, 1)
            async with tx.transaction() as inner:
                await insert(inner, table, 2)
                entered.set()
                await asyncio.Event().wait()

    task = asyncio.create_task(work())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await settle(db)
    assert db.stats().in_use == 0
    assert await ids(db, table) == []


# -- misuse ----------------------------------------------------------------------------------


async def test_a_finished_transaction_refuses_statements(db: SQLConnector, table: str) -> None:
    async with db.transaction() as tx:
        async with tx.transaction() as inner:
            pass
        with pytest.raises(TransactionStateError, match="has ended"):
            await inner.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
        with pytest.raises(TransactionStateError, match="has ended"):
            async with inner.transaction():
                pass
    for call in (
        tx.execute(f"DELETE FROM {table}"),
        tx.fetch_value("SELECT 1"),
        tx.execute_query("SELECT 1"),
        tx.fetch_one("SELECT 1"),
        tx.execute_many(f"INSERT INTO {table} (id, name) VALUES (?, ?)", [(1, "a")]),
    ):
        with pytest.raises(TransactionStateError):
            await call
    with pytest.raises(TransactionStateError, match="has ended"):
        async with tx.transaction():
            pass
    with pytest.raises(TransactionStateError):
        async for _ in tx.stream("SELECT 1"):
            pass
    assert isinstance(TransactionStateError("x"), RuntimeError)
    assert "ended" in repr(tx)
    assert db.stats().in_use == 0


async def test_a_transaction_runs_once_and_only_inside_its_block(db: SQLConnector) -> None:
    tx = db.transaction()
    with pytest.raises(TransactionStateError, match="not open"):
        await tx.fetch_value("SELECT 1")
    async with tx:
        with pytest.raises(TransactionStateError, match="entered already"):
            async with tx:
                pass
    with pytest.raises(TransactionStateError, match="entered already"):
        async with tx:
            pass
    assert db.stats().in_use == 0


async def test_a_failed_begin_leaves_the_transaction_finished(tmp_path: Path) -> None:
    db = SQLConnector(create_sqlite_config(str(tmp_path / "x.db")))
    tx = db.transaction()
    with pytest.raises(TransactionError) as info:
        async with tx:
            pass
    assert info.value.kind is ErrorKind.CONNECTION
    with pytest.raises(TransactionStateError):
        async with tx:
            pass


async def test_an_outer_exit_ends_nested_levels_left_open(db: SQLConnector, table: str) -> None:
    async with db.transaction() as tx:
        inner = tx.transaction()
        await inner.__aenter__()
        deeper = inner.transaction()
        await deeper.__aenter__()
        await insert(deeper, table, 1)
        assert current_transaction(db) is deeper
    assert not inner.is_active
    assert not deeper.is_active
    assert _CURRENT.get() is None  # the context is back to where it was
    await inner.__aexit__(None, None, None)  # a no-op now
    assert await ids(db, table) == [1]


# -- interrupted statements and lost connections ---------------------------------------------


async def test_a_statement_interrupted_at_the_outer_level_fails_the_transaction(
    db: SQLConnector, table: str
) -> None:
    slow = SLOW["sqlite" if db.dialect == "sqlite" else db.dialect]
    with pytest.raises(TransactionError) as info:  # noqa: PT012 - the block is the subject
        async with db.transaction() as tx:
            await insert(tx, table, 1)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(tx.fetch_value(slow), timeout=0.05)
            # its outcome is unknown: the transaction must not commit (MySQL: connection closed)
            await tx.execute(f"INSERT INTO {table} (id, name) VALUES (2, 'x')")
    assert info.value.kind in (ErrorKind.CANCELLED, ErrorKind.CONNECTION)
    await settle(db)
    assert db.stats().in_use == 0
    assert await ids(db, table) == []


@pytest.mark.mysql
async def test_mysql_a_second_cancellation_closes_the_connection(mysql_url: str) -> None:
    """MySQL lets an interrupted nested statement finish; cancelled again, it gives up."""
    async with SQLConnector(mysql_url) as db:
        started = asyncio.Event()

        async def nested(tx: Transaction) -> None:
            async with tx.transaction() as inner:
                started.set()
                await inner.fetch_value("SELECT SLEEP(5)")

        with pytest.raises(TransactionError) as info:  # noqa: PT012 - the block is the subject
            async with db.transaction() as tx:
                task = asyncio.create_task(nested(tx))
                await started.wait()
                await asyncio.sleep(0.05)
                task.cancel()
                await asyncio.sleep(0.05)  # now waiting for SLEEP(5) to finish: cancel again
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                lost = await tx.fetch_value("SELECT 1")
                assert lost.kind is ErrorKind.CONNECTION
                assert "interrupted" in (lost.error or "")
        assert info.value.kind is ErrorKind.CONNECTION
        assert db.stats().in_use == 0
        assert (await db.fetch_value("SELECT 1")).data == 1


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
async def test_a_connection_killed_in_a_nested_block(
    dialect: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres_url" if dialect == "postgresql" else "mysql_url")
    own_id = "SELECT pg_backend_pid()" if dialect == "postgresql" else "SELECT CONNECTION_ID()"
    kill = "SELECT pg_terminate_backend(?)" if dialect == "postgresql" else "KILL ?"
    async with SQLConnector(url) as db, SQLConnector(url) as admin:
        with pytest.raises(TransactionError) as outer:  # noqa: PT012 - the block is the subject
            async with db.transaction() as tx:
                with pytest.raises(TransactionError) as nested:  # noqa: PT012
                    async with tx.transaction() as inner:
                        session = (await inner.fetch_value(own_id)).unwrap()
                        (await admin.execute(kill, [session])).unwrap()
                        await asyncio.sleep(0.05)
                        dead = await inner.fetch_value("SELECT 1")
                        assert dead.kind is ErrorKind.CONNECTION
                assert nested.value.kind is ErrorKind.CONNECTION
        assert outer.value.kind is ErrorKind.CONNECTION
        assert db.stats().in_use == 0
        assert (await db.fetch_value("SELECT 1")).data == 1
