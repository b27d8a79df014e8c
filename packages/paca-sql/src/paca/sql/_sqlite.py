"""The SQLite backend (aiosqlite): WAL, pragmas, one thread hop per call.

Each call runs its whole job (execute, fetch, build the dicts; or BEGIN,
executemany, COMMIT) in one function on the connection's worker thread, so a
10,000-row ``execute_many`` is one hop, not 10,000. Connections run in
autocommit mode; transactions use ``BEGIN IMMEDIATE`` so two writers never
deadlock on a lock upgrade (the second waits up to ``busy_timeout``).

The statement methods are *pipelined*: they put the job on the worker
thread's queue at once and return its future. The thread runs queued jobs in
order, each job is self-contained (autocommit), so the connector hands the
connection back to the pool as soon as the job is queued: concurrent callers
line their statements up on one connection, with no pool hand-off and no idle
thread between them. Rows come from sqlite3 as tuples; ``fetch_tuples``
returns them as they are.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import aiosqlite

from paca.sql._sql_errors import classify_sqlite

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence

    from paca.result import ErrorKind
    from paca.sql._backend import Row, RowTuple
    from paca.sql._config import SQLConfig
    from paca.sql._params import ParamStyle

__all__ = ["SQLiteBackend"]


@lru_cache(maxsize=1024)  # as translate(): one entry per distinct column list
def _dict_builder(names: tuple[str, ...]) -> Callable[[list[Any]], list[Row]]:
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


def _rows(cursor: sqlite3.Cursor, rows: list[Any]) -> list[Row]:
    description = cursor.description or ()
    return _dict_builder(tuple([d[0] for d in description]))(rows)


def _fetch(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Row]:
    cursor = raw.execute(sql, args)
    try:
        description = cursor.description
        if not description:
            return []
        return _dict_builder(tuple([d[0] for d in description]))(cursor.fetchall())
    finally:
        cursor.close()


def _fetch_tuples(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[RowTuple]:
    cursor = raw.execute(sql, args)
    try:
        return cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()


def _fetch_one_tuple(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> RowTuple | None:
    cursor = raw.execute(sql, args)
    try:
        row: RowTuple | None = cursor.fetchone() if cursor.description else None
        return row
    finally:
        cursor.close()


def _fetch_one(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Row | None:
    cursor = raw.execute(sql, args)
    try:
        row = cursor.fetchone() if cursor.description else None
        return None if row is None else _rows(cursor, [row])[0]
    finally:
        cursor.close()


def _fetch_value(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Any:
    cursor = raw.execute(sql, args)
    try:
        row = cursor.fetchone() if cursor.description else None
        return None if row is None else row[0]
    finally:
        cursor.close()


def _execute(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> int:
    cursor = raw.execute(sql, args)
    try:
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


def _execute_many(
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


async def _hop(conn: aiosqlite.Connection, fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)`` on the connection's worker thread (one hop)."""
    return await conn._execute(fn, *args)  # type: ignore[no-untyped-call]


def _submit(conn: aiosqlite.Connection, fn: Any, sql: str, args: Sequence[Any]) -> Any:
    """Queue ``fn(raw, sql, args)`` on the worker thread now; return its future.

    What ``aiosqlite.Connection._execute`` does, minus the coroutine around it,
    so the job is queued before the caller awaits anything.

    Raises:
        ValueError: The connection is closed (as aiosqlite raises it).
    """
    raw = conn._connection
    if not conn._running or raw is None:
        msg = "Connection closed"
        raise ValueError(msg)
    future = asyncio.get_running_loop().create_future()
    conn._tx.put_nowait((future, partial(fn, raw, sql, args)))
    return future


class SQLiteBackend:
    """SQLite through aiosqlite; see the module docstring."""

    dialect = "sqlite"
    paramstyle: ParamStyle = "qmark"
    reuse_after_cancel = True
    pipelined = True

    def __init__(self, config: SQLConfig) -> None:
        self._config = config

    def classify(self, exc: BaseException) -> ErrorKind:
        """Map an exception with :func:`classify_sqlite`."""
        return classify_sqlite(exc)

    async def open(self) -> aiosqlite.Connection:
        """Open a connection in autocommit mode and apply the pragmas."""
        cfg = self._config
        conn = await aiosqlite.connect(
            cfg.database, isolation_level=None, uri=cfg.database.startswith("file:")
        )
        try:
            pragmas = [
                f"PRAGMA busy_timeout = {int(cfg.busy_timeout * 1000)}",
                f"PRAGMA foreign_keys = {'ON' if cfg.foreign_keys else 'OFF'}",
                f"PRAGMA synchronous = {cfg.synchronous}",
            ]
            if not cfg.is_memory:
                pragmas.append(f"PRAGMA journal_mode = {cfg.journal_mode}")
            for pragma in pragmas:
                await _hop(conn, _fetch_value, conn._conn, pragma, ())
        except BaseException:
            await conn.close()
            raise
        return conn

    async def close(self, conn: aiosqlite.Connection) -> None:
        """Close the connection (after queued work)."""
        await conn.close()

    def terminate(self, conn: aiosqlite.Connection) -> Awaitable[Any] | None:
        """Close on the worker thread after queued work; the pool awaits it later."""
        if conn._connection is None:
            return None
        return conn.close()

    def is_closed(self, conn: aiosqlite.Connection) -> bool:
        """Whether the connection is closed."""
        return conn._connection is None or not conn._running

    async def ping(self, conn: aiosqlite.Connection) -> None:
        """Run ``SELECT 1``."""
        await _hop(conn, _fetch_value, conn._conn, "SELECT 1", ())

    async def server_version(self, conn: aiosqlite.Connection) -> str:
        """The SQLite library version."""
        return str(await _hop(conn, _fetch_value, conn._conn, "SELECT sqlite_version()", ()))

    def fetch(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[list[Row]]:
        """Rows as dicts, built on the worker thread (queued now)."""
        future: asyncio.Future[list[Row]] = _submit(conn, _fetch, sql, args)
        return future

    def fetch_tuples(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[list[RowTuple]]:
        """Rows as sqlite3 returns them (tuples), no copy (queued now)."""
        future: asyncio.Future[list[RowTuple]] = _submit(conn, _fetch_tuples, sql, args)
        return future

    def fetch_one(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[Row | None]:
        """The first row, or ``None`` (queued now)."""
        future: asyncio.Future[Row | None] = _submit(conn, _fetch_one, sql, args)
        return future

    def fetch_one_tuple(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[RowTuple | None]:
        """The first row as a tuple, or ``None`` (queued now)."""
        future: asyncio.Future[RowTuple | None] = _submit(conn, _fetch_one_tuple, sql, args)
        return future

    def fetch_value(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[Any]:
        """The first column of the first row, or ``None`` (queued now)."""
        future: asyncio.Future[Any] = _submit(conn, _fetch_value, sql, args)
        return future

    def execute(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[int]:
        """The affected row count (queued now)."""
        future: asyncio.Future[int] = _submit(conn, _execute, sql, args)
        return future

    async def execute_many(
        self,
        conn: aiosqlite.Connection,
        sql: str,
        arg_lists: Sequence[Sequence[Any]],
        in_transaction: bool,
    ) -> int:
        """``executemany`` in one thread hop, inside ``BEGIN``/``COMMIT`` unless in one."""
        count: int = await _hop(
            conn,
            _execute_many,
            conn._conn,
            sql,
            arg_lists,
            in_transaction,
        )
        return count

    async def begin(self, conn: aiosqlite.Connection) -> None:
        """``BEGIN IMMEDIATE``."""
        await _hop(conn, _execute, conn._conn, "BEGIN IMMEDIATE", ())

    async def commit(self, conn: aiosqlite.Connection) -> None:
        """``COMMIT``."""
        await _hop(conn, _execute, conn._conn, "COMMIT", ())

    async def rollback(self, conn: aiosqlite.Connection) -> None:
        """``ROLLBACK`` (when a transaction is open)."""
        if conn.in_transaction:
            await _hop(conn, _execute, conn._conn, "ROLLBACK", ())

    def in_transaction(self, conn: aiosqlite.Connection) -> bool:
        """Whether a transaction is open."""
        return bool(conn.in_transaction)

    async def reset(self, conn: aiosqlite.Connection) -> bool:
        """Roll back; a file connection is replaced (pragmas, temp tables), ``:memory:`` kept."""
        await self.rollback(conn)
        return self._config.is_memory

    async def recover(self, conn: aiosqlite.Connection) -> bool:
        """Roll back what an interrupted call left open (queued after it on the thread)."""
        await self.rollback(conn)
        return True

    async def stream(
        self,
        conn: aiosqlite.Connection,
        sql: str,
        args: Sequence[Any],
        batch_size: int,
        tuples: bool,
    ) -> AsyncGenerator[list[Row] | list[RowTuple], None]:
        """Fetch ``batch_size`` rows per thread hop (tuples as sqlite3 gives them)."""
        raw = conn._conn
        cursor: sqlite3.Cursor = await _hop(conn, raw.execute, sql, args)
        try:
            while True:
                rows = await _hop(conn, cursor.fetchmany, batch_size)
                if not rows:
                    return
                yield rows if tuples else _rows(cursor, rows)
        finally:
            if conn._connection is not None:
                await _hop(conn, cursor.close)
