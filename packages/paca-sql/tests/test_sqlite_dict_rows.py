"""SQLite rows: dicts from generated builders, results through the mailbox; ``bind_all``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from paca.result import ErrorKind
from paca.sql._connector import SQLConnector
from paca.sql._params import bind_all, translate
from paca.sql._sqlite import _submit
from paca.sql._sqlite_jobs import dict_builder, fetch_value

if TYPE_CHECKING:
    from pathlib import Path


def test_dict_builder_matches_dict_zip() -> None:
    for names in [("a",), ("a", "b"), ("x", "y", "x"), tuple(f"c{i}" for i in range(300))]:
        rows = [tuple(range(j, j + len(names))) for j in range(3)]
        built = dict_builder(names)(rows)
        expected = [dict(zip(names, row, strict=True)) for row in rows]
        assert built == expected
        assert [list(d) for d in built] == [list(d) for d in expected]  # key order too
    assert dict_builder(("a",))([]) == []
    assert dict_builder(())([(), ()]) == [{}, {}]


def test_dict_builder_names_are_data_not_code() -> None:
    names = ("v0", "k0", "rows", "}] ; import os #", "'\"", "")
    row = tuple(range(len(names)))
    assert dict_builder(names)([row]) == [dict(zip(names, row, strict=True))]


async def test_sqlite_dict_rows_keep_column_order_and_duplicates(tmp_path: Path) -> None:
    db = SQLConnector(f"sqlite:///{tmp_path}/rows.db")
    (await db.connect()).unwrap()
    try:
        rows = (await db.execute_query("SELECT 2 AS b, 1 AS a, 3 AS b")).unwrap()
        assert rows == [{"b": 3, "a": 1}]
        assert list(rows[0]) == ["b", "a"]
        assert (await db.fetch_one("SELECT 1 AS one, 'x' AS two")).unwrap() == {
            "one": 1,
            "two": "x",
        }
        many = (await db.execute_query("SELECT value AS v FROM json_each('[1,2,3]')")).unwrap()
        assert many == [{"v": 1}, {"v": 2}, {"v": 3}]
    finally:
        await db.disconnect()


def test_bind_all_positional_fast_path_and_errors() -> None:
    translation = translate("INSERT INTO t (a, b) VALUES (?, ?)", "qmark", False)
    sets = [(1, "a"), [2, "b"]]
    assert bind_all(translation, sets) is sets  # no copy
    with pytest.raises(ValueError, match="2 '\\?' placeholders but 3"):
        bind_all(translation, [(1, "a"), (2, "b", 3)])
    with pytest.raises(TypeError, match="list or tuple"):
        bind_all(translation, [(1, "a"), "ab"])
    assert bind_all(translation, []) == []


async def test_try_acquire_is_the_no_wait_path_of_acquire(tmp_path: Path) -> None:
    db = SQLConnector(f"sqlite:///{tmp_path}/pool.db")
    (await db.connect()).unwrap()
    try:
        pool = db._pool
        assert pool is not None
        slot = pool.try_acquire()
        assert slot is not None
        assert pool.try_acquire() is None  # nothing idle
        pool.release(slot)
        slot.expires = 0.0  # expired: acquire() replaces it, try_acquire() declines
        assert pool.try_acquire() is None
        fresh = await pool.acquire()
        assert fresh is not slot
        pool.release(fresh)
        assert (await db.fetch_value("SELECT 41 + 1")).unwrap() == 42
    finally:
        await db.disconnect()


async def test_duplicate_names_agree_for_one_row_and_many(tmp_path: Path) -> None:
    db = SQLConnector(f"sqlite:///{tmp_path}/dup.db")
    (await db.connect()).unwrap()
    try:
        one = (await db.execute_query("SELECT 2 AS b, 1 AS a, 3 AS b")).unwrap()
        many = (
            await db.execute_query(
                "SELECT 2 AS b, 1 AS a, value AS b FROM json_each('[3, 4]') ORDER BY value"
            )
        ).unwrap()
        assert one == [{"b": 3, "a": 1}]
        assert many == [{"b": 3, "a": 1}, {"b": 4, "a": 1}]
        assert [list(row) for row in many] == [["b", "a"], ["b", "a"]]
        assert (await db.execute_query("CREATE TABLE t (x)")).unwrap() == []
        assert (await db.fetch_one("INSERT INTO t VALUES (1)")).unwrap() is None
        assert (await db.execute_query("SELECT x FROM t WHERE x > 5")).unwrap() == []
    finally:
        await db.disconnect()


async def test_a_burst_of_statements_shares_wake_ups_and_keeps_every_result(
    tmp_path: Path,
) -> None:
    db = SQLConnector(f"sqlite:///{tmp_path}/burst.db")
    (await db.connect()).unwrap()
    try:
        calls = [db.fetch_value("SELECT ? * 2", [i]) for i in range(200)]
        calls += [db.execute_query("SELECT * FROM missing_table") for _ in range(3)]
        results = await asyncio.gather(*calls)
        assert [r.unwrap() for r in results[:200]] == [i * 2 for i in range(200)]
        assert all(r.kind is ErrorKind.QUERY for r in results[200:])
        # some of those queued behind others went through the mailbox
        pool = db._pool
        assert pool is not None
        assert not pool._idle[-1].conn._paca_mailbox._items

        # a cancelled caller's result is dropped; the others still arrive
        tasks = [asyncio.ensure_future(db.fetch_value("SELECT ?", [i])) for i in range(20)]
        await asyncio.sleep(0)
        tasks[5].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(done[5], asyncio.CancelledError)
        assert [r.unwrap() for i, r in enumerate(done) if i != 5] == [
            i for i in range(20) if i != 5
        ]
    finally:
        await db.disconnect()


def test_results_for_another_event_loop_go_through_aiosqlite(tmp_path: Path) -> None:
    """A connection used from a loop other than the one that opened it still answers."""
    db = SQLConnector(f"sqlite:///{tmp_path}/loops.db", read_retry=None)
    first = asyncio.new_event_loop()
    try:
        first.run_until_complete(db.connect())
        pool = db._pool
        assert pool is not None
        conn = pool._idle[-1].conn
        other = asyncio.new_event_loop()
        try:

            async def two_at_once() -> list[int]:
                jobs = [_submit(conn, fetch_value, "SELECT ?", [i]) for i in (1, 2)]
                return list(await asyncio.gather(*jobs))

            assert other.run_until_complete(two_at_once()) == [1, 2]
        finally:
            other.close()
        first.run_until_complete(db.disconnect())
    finally:
        first.close()
