"""SQLite dict rows built by generated per-column-list functions, and ``bind_all``'s fast path."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from paca.sql._connector import SQLConnector
from paca.sql._params import bind_all, translate
from paca.sql._sqlite import _dict_builder

if TYPE_CHECKING:
    from pathlib import Path


def test_dict_builder_matches_dict_zip() -> None:
    for names in [("a",), ("a", "b"), ("x", "y", "x"), tuple(f"c{i}" for i in range(300))]:
        rows = [tuple(range(j, j + len(names))) for j in range(3)]
        built = _dict_builder(names)(rows)
        expected = [dict(zip(names, row, strict=True)) for row in rows]
        assert built == expected
        assert [list(d) for d in built] == [list(d) for d in expected]  # key order too
    assert _dict_builder(("a",))([]) == []
    assert _dict_builder(())([(), ()]) == [{}, {}]


def test_dict_builder_names_are_data_not_code() -> None:
    names = ("v0", "k0", "rows", "}] ; import os #", "'\"", "")
    row = tuple(range(len(names)))
    assert _dict_builder(names)([row]) == [dict(zip(names, row, strict=True))]


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
