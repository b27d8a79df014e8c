"""What runs on a SQLite connection's worker thread: one function per statement kind.

Each job does its whole work in one call on the thread (execute, fetch, build
the dicts; or BEGIN, executemany, COMMIT), so a statement costs one thread hop.
Rows come from sqlite3 as tuples; dicts are built here by a function generated
once per column list (see :func:`dict_builder`). Each job closes its cursor before
it returns, even on an error: the traceback the caller keeps would otherwise keep
the statement open.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence

    from paca.sql._backend import Row, RowTuple

__all__ = [
    "dict_builder",
    "execute",
    "execute_many",
    "fetch",
    "fetch_one",
    "fetch_one_tuple",
    "fetch_tuples",
    "fetch_value",
    "rows_as_dicts",
]


@lru_cache(maxsize=1024)  # as translate(): one entry per distinct column list
def dict_builder(names: tuple[str, ...]) -> Callable[[list[Any]], list[Row]]:
    """A function turning rows of ``len(names)`` columns into dicts keyed by ``names``.

    Generated once per distinct column list: a comprehension with a dict
    display, ``[{k0: v0, k1: v1} for v0, v1, in rows]``, is several times
    faster than ``dict(zip(names, row))`` per row. The column names are
    arguments of the generated function, never part of its source; a name
    used twice keeps its first position and its last value, as ``dict(zip())``.
    """
    count = len(names)
    if not count:
        return _empty_dicts
    keys = ", ".join(f"k{i}" for i in range(count))
    values = "".join(f"v{i}, " for i in range(count))
    pairs = ", ".join(f"k{i}: v{i}" for i in range(count))
    source = (
        f"def make({keys}):\n"
        f"    def build(rows):\n"
        f"        return [{{{pairs}}} for {values}in rows]\n"
        f"    return build\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - generated from column counts only
    build: Callable[[list[Any]], list[Row]] = namespace["make"](*names)
    return build


def _empty_dicts(rows: list[Any]) -> list[Row]:
    return [{} for _ in rows]


# In the jobs below, ``next(zip(*cursor.description))`` is the tuple of column names, and
# ``zip`` runs without ``strict=``: lengths match by construction, and the keyword costs
# more than the rest of a one-row job's Python (valgrind: 19.4k instructions against 15.8k).


def rows_as_dicts(cursor: sqlite3.Cursor, rows: list[Any]) -> list[Row]:
    """``rows`` of ``cursor`` as dicts."""
    return dict_builder(next(zip(*cursor.description)))(rows) if rows else []  # noqa: B905


def fetch(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Row]:
    cursor = raw.execute(sql, args)
    try:
        rows = cursor.fetchall()  # [] for a statement that returns no rows
        if not rows:
            return []
        names = next(zip(*cursor.description))  # noqa: B905
        if len(rows) == 1:  # one row: dict(zip()) beats calling the generated builder
            return [dict(zip(names, rows[0]))]  # noqa: B905
        return dict_builder(names)(rows)
    finally:
        cursor.close()  # at once, even when the error's traceback keeps this frame alive


def fetch_tuples(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[RowTuple]:
    cursor = raw.execute(sql, args)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def fetch_one_tuple(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> RowTuple | None:
    cursor = raw.execute(sql, args)
    try:
        row: RowTuple | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


def fetch_one(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Row | None:
    cursor = raw.execute(sql, args)
    try:
        row = cursor.fetchone()
        return None if row is None else dict(zip(next(zip(*cursor.description)), row))  # noqa: B905
    finally:
        cursor.close()


def fetch_value(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Any:
    cursor = raw.execute(sql, args)
    try:
        row = cursor.fetchone()
        return None if row is None else row[0]
    finally:
        cursor.close()


def execute(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> int:
    cursor = raw.execute(sql, args)
    try:
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


def execute_many(
    raw: sqlite3.Connection, sql: str, arg_lists: Sequence[Sequence[Any]], in_tx: bool
) -> int:
    if not in_tx:
        raw.execute("BEGIN IMMEDIATE")
    try:
        cursor = raw.executemany(sql, arg_lists)
        count = max(cursor.rowcount, 0)
        cursor.close()
    except BaseException:
        if not in_tx and raw.in_transaction:
            raw.rollback()
        raise
    if not in_tx:
        raw.commit()
    return count
