# ruff: noqa: S608  (table names are generated uuids; values are always bound)
"""``Transaction.stream()`` on the transaction's connection, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from paca.result import ErrorKind
from paca.sql import SQLConnector, StreamError, TransactionError, TransactionStateError


async def fill(db: SQLConnector, table: str, count: int) -> None:
    rows = [{"id": i, "name": f"n{i}"} for i in range(count)]
    (await db.execute_many(f"INSERT INTO {table} (id, name) VALUES (:id, :name)", rows)).unwrap()


async def test_a_stream_sees_the_transactions_own_work(db: SQLConnector, table: str) -> None:
    await fill(db, table, 5)
    async with db.transaction() as tx:
        (await tx.execute(f"INSERT INTO {table} (id, name) VALUES (99, 'new')")).unwrap()
        ordered = f"SELECT id FROM {table} ORDER BY id"
        got = [r["id"] async for r in tx.stream(ordered, batch_size=2)]
        assert got == [0, 1, 2, 3, 4, 99]
        first_two = f"SELECT id FROM {table} WHERE id < 2"
        tuples = [r async for r in tx.stream(first_two, as_tuples=True)]
        assert sorted(tuples) == [(0,), (1,)]
        assert db.stats().in_use == 1
    assert db.stats().in_use == 0
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 6


async def test_leaving_a_stream_early_keeps_the_transaction_usable(
    db: SQLConnector, table: str
) -> None:
    await fill(db, table, 50)
    async with db.transaction() as tx:
        async for row in tx.stream(f"SELECT id FROM {table} ORDER BY id", batch_size=4):
            if row["id"] == 5:
                break  # the iterator is dropped here; MySQL: its unread rows are read off
        (await tx.execute(f"DELETE FROM {table} WHERE id < 10")).unwrap()
        async with contextlib.aclosing(tx.stream(f"SELECT id FROM {table}", batch_size=3)) as rows:
            async for _ in rows:
                break
        assert (await tx.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 40
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 40
    assert db.stats().in_use == 0


async def test_statements_while_a_stream_is_open(db: SQLConnector, table: str) -> None:
    await fill(db, table, 10)
    async with db.transaction() as tx:
        rows = tx.stream(f"SELECT id FROM {table} ORDER BY id", batch_size=2)
        if db.dialect == "mysql":  # unread rows block the connection: refused, not corrupted
            async for row in rows:
                assert row["id"] == 0
                with pytest.raises(TransactionStateError, match="aclosing"):
                    await tx.execute(f"UPDATE {table} SET age = 1 WHERE id = 0")
                break
            await rows.aclose()  # type: ignore[attr-defined]
            (await tx.execute(f"UPDATE {table} SET age = 1")).unwrap()
        else:
            async for row in rows:
                await tx.execute(f"UPDATE {table} SET age = :a WHERE id = :id", {"a": 1, **row})
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table} WHERE age = 1")).data == 10


async def test_a_stream_ends_with_its_transaction(db: SQLConnector, table: str) -> None:
    await fill(db, table, 30)
    async with db.transaction() as tx:
        async with tx.transaction() as inner:
            held = inner.stream(f"SELECT id FROM {table} ORDER BY id", batch_size=2)
            assert (await held.__anext__())["id"] == 0  # type: ignore[attr-defined]
        # the savepoint was released with the stream's unread rows closed first
        with pytest.raises(TransactionStateError, match="has ended"):
            await held.__anext__()  # type: ignore[attr-defined]
        outer = tx.stream(f"SELECT id FROM {table} ORDER BY id", batch_size=2)
        assert (await outer.__anext__())["id"] == 0  # type: ignore[attr-defined]
    # committed with the stream still open: it was closed first
    with pytest.raises(TransactionStateError):
        await outer.__anext__()  # type: ignore[attr-defined]
    assert db.stats().in_use == 0
    assert (await db.fetch_value("SELECT 1")).data == 1


async def test_a_failed_stream_fails_its_transaction(db: SQLConnector, table: str) -> None:
    async with db.transaction() as tx:
        (await tx.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")).unwrap()
        with pytest.raises(TransactionError) as info:  # noqa: PT012 - the block is the subject
            async with tx.transaction() as inner:
                with pytest.raises(StreamError) as failed:
                    async for _ in inner.stream("SELECT * FROM no_such_table_here"):
                        pass
                assert failed.value.kind is ErrorKind.QUERY
        assert info.value.kind is ErrorKind.QUERY  # the nested level was rolled back
        assert (await tx.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 1
    with pytest.raises(TransactionError):  # noqa: PT012 - the block is the subject
        async with db.transaction() as tx:
            with pytest.raises(StreamError):
                async for _ in tx.stream("SELECT * FROM no_such_table_here"):
                    pass
    with pytest.raises(ValueError, match="batch_size"):  # noqa: PT012 - the block is the subject
        async with db.transaction() as tx:
            async for _ in tx.stream("SELECT 1", batch_size=0):
                pass
    assert db.stats().in_use == 0


async def test_a_stream_cancelled_in_a_nested_block(db: SQLConnector, table: str) -> None:
    await fill(db, table, 40)
    async with db.transaction() as tx:
        (await tx.execute(f"UPDATE {table} SET age = 7 WHERE id = 0")).unwrap()
        reading = asyncio.Event()

        async def nested() -> None:
            async with tx.transaction() as inner:
                (await inner.execute(f"DELETE FROM {table} WHERE id > 20")).unwrap()
                async for _ in inner.stream(f"SELECT id FROM {table}", batch_size=3):
                    reading.set()
                    await asyncio.Event().wait()

        task = asyncio.create_task(nested())
        await reading.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await tx.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 40
    assert (await db.fetch_value(f"SELECT age FROM {table} WHERE id = 0")).data == 7
    assert db.stats().in_use == 0
