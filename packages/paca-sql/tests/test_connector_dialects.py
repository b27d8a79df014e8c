# ruff: noqa: S608  (table names are generated uuids; values are always bound)
"""The connector's behaviour, the same on SQLite (file and memory), PostgreSQL and MariaDB."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from paca.result import ErrorKind
from paca.sql._config import create_sqlite_config
from paca.sql._connector import SQLConnector
from paca.sql._sql_errors import StreamError, TransactionError
from paca.sql._sql_events import PoolAcquired, PoolReleased, QueryFinished

if TYPE_CHECKING:
    from pathlib import Path


async def settle(db: SQLConnector) -> None:
    """Let background recovery (SQLite rolls back an abandoned connection) finish."""
    for _ in range(200):
        if db.stats().in_use == 0:
            return
        await asyncio.sleep(0.005)


class FakeQuery:
    def __init__(self, dialect: str, sql: str, args: list[Any]) -> None:
        self.dialect = dialect
        self._sql, self._args = sql, args

    def build(self) -> tuple[str, list[Any]]:
        return self._sql, self._args


async def test_mission_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = SQLConnector(create_sqlite_config("app.db"))
    await db.connect()
    result = await db.execute_query("SELECT 1 AS test")
    await db.disconnect()
    assert result.is_success
    assert result.data == [{"test": 1}]


async def test_crud_round_trip(db: SQLConnector, table: str) -> None:
    rows = [{"id": i, "name": f"n{i}", "age": 10 + i} for i in range(10)]
    assert (
        await db.execute_many(
            f"INSERT INTO {table} (id, name, age) VALUES (:id, :name, :age)", rows
        )
    ).is_success
    adults = await db.execute_query(
        f"SELECT id, name FROM {table} WHERE age > :age ORDER BY id", {"age": 17}
    )
    assert adults.data == [{"id": 8, "name": "n8"}, {"id": 9, "name": "n9"}]
    positional = await db.execute_query(
        f"SELECT name FROM {table} WHERE id = ? OR id = ? ORDER BY id", [1, 2]
    )
    assert positional.data == [{"name": "n1"}, {"name": "n2"}]
    updated = await db.execute(f"UPDATE {table} SET name = :n WHERE id < :id", {"n": "x", "id": 3})
    assert updated.data == 3
    assert (await db.fetch_one(f"SELECT name FROM {table} WHERE id = :id", {"id": 0})).data == {
        "name": "x"
    }
    assert (await db.fetch_one(f"SELECT name FROM {table} WHERE id = :id", {"id": 99})).data is None
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 10
    assert (await db.fetch_value(f"SELECT name FROM {table} WHERE id = -1")).data is None
    assert (await db.execute_many(f"DELETE FROM {table} WHERE id = :id", [])).data == 0


async def test_percent_and_colons_in_literals(db: SQLConnector) -> None:
    value = await db.fetch_value("SELECT '50% :not_a_param ?' AS v")
    assert value.data == "50% :not_a_param ?"


async def test_failures_are_results(db: SQLConnector, table: str) -> None:
    await db.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
    dup = await db.execute(
        f"INSERT INTO {table} (id, name) VALUES (:id, :name)", {"id": 1, "name": "secret-value"}
    )
    assert dup.kind is ErrorKind.INTEGRITY
    assert "secret-value" not in (dup.error or "")
    null = await db.execute(f"INSERT INTO {table} (id, name) VALUES (2, NULL)")
    assert null.kind is ErrorKind.INTEGRITY
    syntax = await db.execute_query("SELEC 1")
    assert syntax.kind is ErrorKind.QUERY
    assert (await db.fetch_value("SELECT 2")).data == 2  # the pool is fine afterwards
    assert db.stats().errors["integrity"] == 2


async def test_misuse_raises(db: SQLConnector) -> None:
    with pytest.raises(ValueError, match=":b"):
        await db.execute_query("SELECT :a, :b", {"a": 1})
    with pytest.raises(TypeError):
        await db.execute_query(42)  # type: ignore[arg-type]


async def test_query_objects_run_as_is_and_dialect_is_checked(db: SQLConnector) -> None:
    mark = {"postgresql": "$1", "mysql": "%s", "sqlite": "?"}[db.dialect]
    result = await db.fetch_value(FakeQuery(db.dialect, f"SELECT {mark} + 1", [41]))
    assert result.data == 42
    other = "mysql" if db.dialect != "mysql" else "postgresql"
    mismatch = await db.execute_query(FakeQuery(other, "SELECT 1", []))
    assert mismatch.kind is ErrorKind.VALIDATION
    assert db.server_version


async def test_transaction_commits(db: SQLConnector, table: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(f"INSERT INTO {table} (id, name) VALUES (:id, :n)", {"id": 1, "n": "a"})
        await tx.execute_many(f"INSERT INTO {table} (id, name) VALUES (?, ?)", [[2, "b"], [3, "c"]])
        assert (await tx.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 3
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 3
    assert db.stats().in_use == 0


async def test_transaction_rolls_back_on_exception(db: SQLConnector, table: str) -> None:
    with pytest.raises(RuntimeError, match="boom"):  # noqa: PT012 - the block is the subject
        async with db.transaction() as tx:
            await tx.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
            raise RuntimeError("boom")
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 0


async def test_transaction_with_a_failed_statement_rolls_back_and_raises(
    db: SQLConnector, table: str
) -> None:
    with pytest.raises(TransactionError) as info:  # noqa: PT012 - the block is the subject
        async with db.transaction() as tx:
            await tx.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
            failed = await tx.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
            assert failed.kind is ErrorKind.INTEGRITY
    assert info.value.kind is ErrorKind.INTEGRITY
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 0
    assert db.stats().in_use == 0


async def test_stream_in_batches_and_early_exit(db: SQLConnector, table: str) -> None:
    await db.execute_many(
        f"INSERT INTO {table} (id, name) VALUES (:id, 'x')", [{"id": i} for i in range(25)]
    )
    ids = [
        row["id"] async for row in db.stream(f"SELECT id FROM {table} ORDER BY id", batch_size=4)
    ]
    assert ids == list(range(25))
    stream = db.stream(f"SELECT id FROM {table} ORDER BY id", batch_size=4)
    async for row in stream:
        if row["id"] == 5:
            break
    await stream.aclose()
    await settle(db)
    assert db.stats().in_use == 0
    assert (await db.fetch_value(f"SELECT COUNT(*) FROM {table}")).data == 25


async def test_stream_failure_raises_stream_error(db: SQLConnector) -> None:
    with pytest.raises(StreamError) as info:
        async for _ in db.stream("SELEC broken"):
            pass
    assert info.value.result.kind is ErrorKind.QUERY
    await settle(db)
    assert db.stats().in_use == 0


async def test_events_and_stats(db: SQLConnector) -> None:
    events: list[object] = []
    remove = db.add_listener(events.append)
    await db.execute_query("SELECT :secret_param AS v", {"secret_param": "s3cr3t"})
    remove()
    await db.execute_query("SELECT 1")
    kinds = [type(e) for e in events]
    assert kinds == [PoolAcquired, PoolReleased, QueryFinished]
    finished = events[-1]
    assert isinstance(finished, QueryFinished)
    assert finished.rows == 1
    assert finished.kind is None
    assert "s3cr3t" not in repr(events)
    stats = db.stats()
    assert stats.queries >= 2
    assert stats.size >= 1
    assert stats.in_use == 0
    assert 0 < stats.efficiency <= 1
    assert stats.max_size == (1 if db.config.is_memory else 4)


async def test_ping_and_not_connected(db: SQLConnector) -> None:
    assert (await db.ping()).is_success
    await db.disconnect()
    result = await db.execute_query("SELECT 1")
    assert result.kind is ErrorKind.CONNECTION
    assert db.stats().size == 0
