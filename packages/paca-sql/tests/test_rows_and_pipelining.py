# ruff: noqa: S608  (table names are generated uuids; values are always bound)
"""Tuple rows (``as_tuples=True``) on every server, and SQLite's pipelined statements."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from paca.result import ErrorKind
from paca.sql._config import create_sqlite_config
from paca.sql._connector import SQLConnector
from paca.sql._params import bind_all, translate

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
async def table(db: SQLConnector, table: str) -> str:
    """The conftest's table, with five rows (``age`` NULL in row 3)."""
    rows = [{"id": i, "name": f"n{i}", "age": None if i == 3 else 20 + i} for i in range(1, 6)]
    (await db.execute_many(f"INSERT INTO {table} (id, name, age) VALUES (:id, :name, :age)", rows))
    return table


async def test_execute_query_as_tuples(db: SQLConnector, table: str) -> None:
    sql = f"SELECT id, name, age FROM {table} WHERE id <= :n ORDER BY id"
    tuples = (await db.execute_query(sql, {"n": 3}, as_tuples=True)).unwrap()
    assert tuples == [(1, "n1", 21), (2, "n2", 22), (3, "n3", None)]
    assert all(type(row) is tuple for row in tuples)
    dicts = (await db.execute_query(sql, {"n": 3})).unwrap()
    assert [tuple(d.values()) for d in dicts] == tuples
    assert (await db.execute_query(sql, {"n": 0}, as_tuples=True)).unwrap() == []


async def test_fetch_one_as_tuple(db: SQLConnector, table: str) -> None:
    sql = f"SELECT name, age FROM {table} WHERE id = ?"
    assert (await db.fetch_one(sql, [2], as_tuples=True)).unwrap() == ("n2", 22)
    assert (await db.fetch_one(sql, [99], as_tuples=True)).unwrap() is None
    assert (await db.fetch_one(sql, [2])).unwrap() == {"name": "n2", "age": 22}


async def test_stream_as_tuples(db: SQLConnector, table: str) -> None:
    sql = f"SELECT id, name FROM {table} ORDER BY id"
    rows = [row async for row in db.stream(sql, batch_size=2, as_tuples=True)]
    assert rows == [(i, f"n{i}") for i in range(1, 6)]
    assert all(type(row) is tuple for row in rows)
    await asyncio.sleep(0)
    assert db.stats().in_use == 0


async def test_transaction_as_tuples(db: SQLConnector, table: str) -> None:
    async with db.transaction() as tx:
        (await tx.execute(f"UPDATE {table} SET age = 1 WHERE id = 1")).unwrap()
        rows = await tx.execute_query(f"SELECT id, age FROM {table} WHERE id = 1", as_tuples=True)
        assert rows.unwrap() == [(1, 1)]
        one = await tx.fetch_one(f"SELECT age FROM {table} WHERE id = 1", as_tuples=True)
        assert one.unwrap() == (1,)


async def test_tuple_errors_are_results(db: SQLConnector) -> None:
    result = await db.execute_query("SELEC broken", as_tuples=True)
    assert not result.is_success
    assert result.kind is ErrorKind.QUERY


# -- SQLite: statements are queued on the connection's thread, the connection goes back at once


async def test_sqlite_concurrent_reads_share_one_connection(tmp_path: Path) -> None:
    db = SQLConnector(create_sqlite_config(str(tmp_path / "p.db"), max_size=4))
    (await db.connect()).unwrap()
    try:
        results = await asyncio.gather(*(db.fetch_value("SELECT ?", [i]) for i in range(50)))
        assert [r.unwrap() for r in results] == list(range(50))
        stats = db.stats()
        assert stats.size == 1  # no second connection was needed
        assert stats.in_use == 0
    finally:
        await db.disconnect()


async def test_sqlite_pipelined_statements_and_a_transaction(tmp_path: Path) -> None:
    db = SQLConnector(create_sqlite_config(str(tmp_path / "p.db"), max_size=1))
    (await db.connect()).unwrap()
    try:
        (await db.execute("CREATE TABLE t (v INTEGER)")).unwrap()

        async def tx_work() -> None:
            async with db.transaction() as tx:
                (await tx.execute("INSERT INTO t VALUES (1)")).unwrap()
                await asyncio.sleep(0.01)
                (await tx.execute("INSERT INTO t VALUES (2)")).unwrap()

        async def plain(i: int) -> Any:
            return (await db.execute("INSERT INTO t VALUES (?)", [100 + i])).unwrap()

        await asyncio.gather(tx_work(), *(plain(i) for i in range(20)))
        assert (await db.fetch_value("SELECT COUNT(*) FROM t")).unwrap() == 22
        assert (await db.fetch_value("SELECT COUNT(*) FROM t WHERE v < 100")).unwrap() == 2
    finally:
        await db.disconnect()


async def test_sqlite_cancelled_pipelined_read_leaves_the_pool_usable(tmp_path: Path) -> None:
    db = SQLConnector(create_sqlite_config(str(tmp_path / "p.db"), max_size=1))
    (await db.connect()).unwrap()
    try:
        slow = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 200000) "
        task = asyncio.ensure_future(db.execute_query(slow + "SELECT n FROM s", as_tuples=True))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await db.fetch_value("SELECT 7")).unwrap() == 7
        assert db.stats().in_use == 0
    finally:
        await db.disconnect()


async def test_sqlite_error_on_a_pipelined_statement(tmp_path: Path) -> None:
    db = SQLConnector(create_sqlite_config(str(tmp_path / "p.db"), max_size=1))
    (await db.connect()).unwrap()
    try:
        results = await asyncio.gather(
            db.execute_query("SELECT * FROM missing"), db.fetch_value("SELECT 1")
        )
        assert results[0].kind is ErrorKind.QUERY
        assert results[1].unwrap() == 1
        assert db.stats().errors.get("query") == 1
    finally:
        await db.disconnect()


# -- execute_many binding


def test_bind_all_named_and_positional() -> None:
    named = translate("INSERT INTO t VALUES (:a, :b)", "qmark", True)
    assert bind_all(named, [{"a": 1, "b": 2}, {"b": 4, "a": 3}]) == [(1, 2), (3, 4)]
    single = translate("INSERT INTO t VALUES (:a)", "qmark", True)
    assert bind_all(single, [{"a": 1}, {"a": 2}]) == [(1,), (2,)]
    with pytest.raises(ValueError, match=":b"):
        bind_all(named, [{"a": 1}])
    positional = translate("INSERT INTO t VALUES (?, ?)", "qmark", False)
    sets = [(1, 2), [3, 4]]
    assert bind_all(positional, sets) is sets
    with pytest.raises(ValueError, match="2 '\\?' placeholders"):
        bind_all(positional, [(1,)])
