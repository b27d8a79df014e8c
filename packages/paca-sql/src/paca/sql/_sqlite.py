"""The SQLite backend (aiosqlite): WAL, pragmas, one thread hop per call.

Each call runs its whole job (see :mod:`paca.sql._sqlite_jobs`) in one function
on the connection's worker thread, so a 10,000-row ``execute_many`` is one hop,
not 10,000. Connections run in
autocommit mode; transactions use ``BEGIN IMMEDIATE`` so two writers never
deadlock on a lock upgrade (the second waits up to ``busy_timeout``).

The statement methods are *pipelined*: they put the job on the worker
thread's queue at once and return its future. The thread runs queued jobs in
order, each job is self-contained (autocommit), so the connector hands the
connection back to the pool as soon as the job is queued: concurrent callers
line their statements up on one connection, with no pool hand-off and no idle
thread between them. Their results come back through the connection's
:class:`_Mailbox`, which wakes the event loop once per burst of finished jobs
rather than once per job (aiosqlite's way, kept for a lone caller, where it
is cheaper).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

import aiosqlite

from paca.sql import _sqlite_jobs as jobs
from paca.sql._sql_errors import classify_sqlite

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import AsyncGenerator, Awaitable, Sequence

    from paca.result import ErrorKind
    from paca.sql._backend import Row, RowTuple
    from paca.sql._config import SQLConfig
    from paca.sql._params import ParamStyle

__all__ = ["SQLiteBackend"]


async def _hop(conn: aiosqlite.Connection, fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)`` on the connection's worker thread (one hop)."""
    return await conn._execute(fn, *args)  # type: ignore[no-untyped-call]


class _Mailbox:
    """Results of queued jobs, handed to the event loop in batches.

    aiosqlite wakes the event loop once per finished call
    (``call_soon_threadsafe``: a write to the loop's self-pipe, a read, a
    handle). Jobs queued through :func:`_submit` post their results here
    instead, and the worker wakes the loop only when no delivery is pending:
    a burst of concurrent statements costs one wake-up, not one each.

    No lock: one worker thread posts, the event loop delivers, and deque
    appends and pops are atomic. :meth:`_deliver` clears ``_scheduled``
    before it drains, so a result posted meanwhile is either drained now
    or finds the flag clear and schedules the next delivery.
    """

    __slots__ = ("_items", "_loop", "_scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: deque[tuple[asyncio.Future[Any], bool, Any]] = deque()
        self._scheduled = False

    def run(
        self, future: asyncio.Future[Any], fn: Any, raw: Any, sql: str, args: Sequence[Any]
    ) -> None:
        """On the worker thread: run ``fn(raw, sql, args)`` and post its outcome."""
        try:
            outcome = (future, True, fn(raw, sql, args))
        except BaseException as exc:
            outcome = (future, False, exc)
        self._items.append(outcome)
        if not self._scheduled:
            self._scheduled = True
            with contextlib.suppress(RuntimeError):  # a closed event loop: nobody waits
                self._loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        """On the event loop: complete every posted future."""
        self._scheduled = False
        items = self._items
        while items:
            future, ok, value = items.popleft()
            if future.done():  # cancelled meanwhile
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


def _submit(conn: aiosqlite.Connection, fn: Any, sql: str, args: Sequence[Any]) -> Any:
    """Queue ``fn(raw, sql, args)`` on the worker thread now; return its future.

    What ``aiosqlite.Connection._execute`` does, minus the coroutine around it,
    so the job is queued before the caller awaits anything; the result comes
    back through the connection's :class:`_Mailbox`.

    Raises:
        ValueError: The connection is closed (as aiosqlite raises it).
    """
    raw = conn._connection
    if not conn._running or raw is None:
        msg = "Connection closed"
        raise ValueError(msg)
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    queue = conn._tx
    mailbox: _Mailbox = conn._paca_mailbox  # type: ignore[attr-defined]
    if queue.empty() or mailbox._loop is not loop:
        # nothing queued before it (one caller at a time): aiosqlite's own wake-up is cheaper
        queue.put_nowait((future, partial(fn, raw, sql, args)))
    else:
        queue.put_nowait((None, partial(mailbox.run, future, fn, raw, sql, args)))
    return future


class SQLiteBackend:
    """SQLite through aiosqlite; see the module docstring."""

    dialect = "sqlite"
    paramstyle: ParamStyle = "qmark"
    reuse_after_cancel = True
    pipelined = True
    cancel_keeps_transaction = True
    stream_holds_connection = False

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
        conn._paca_mailbox = _Mailbox(asyncio.get_running_loop())  # type: ignore[attr-defined]
        try:
            pragmas = [
                f"PRAGMA busy_timeout = {int(cfg.busy_timeout * 1000)}",
                f"PRAGMA foreign_keys = {'ON' if cfg.foreign_keys else 'OFF'}",
                f"PRAGMA synchronous = {cfg.synchronous}",
            ]
            if not cfg.is_memory:
                pragmas.append(f"PRAGMA journal_mode = {cfg.journal_mode}")
            for pragma in pragmas:
                await _hop(conn, jobs.fetch_value, conn._conn, pragma, ())
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
        await _hop(conn, jobs.fetch_value, conn._conn, "SELECT 1", ())

    async def server_version(self, conn: aiosqlite.Connection) -> str:
        """The SQLite library version."""
        return str(await _hop(conn, jobs.fetch_value, conn._conn, "SELECT sqlite_version()", ()))

    def fetch(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[list[Row]]:
        """Rows as dicts, built on the worker thread (queued now)."""
        future: asyncio.Future[list[Row]] = _submit(conn, jobs.fetch, sql, args)
        return future

    def fetch_tuples(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[list[RowTuple]]:
        """Rows as sqlite3 returns them (tuples), no copy (queued now)."""
        future: asyncio.Future[list[RowTuple]] = _submit(conn, jobs.fetch_tuples, sql, args)
        return future

    def fetch_one(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[Row | None]:
        """The first row, or ``None`` (queued now)."""
        future: asyncio.Future[Row | None] = _submit(conn, jobs.fetch_one, sql, args)
        return future

    def fetch_one_tuple(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[RowTuple | None]:
        """The first row as a tuple, or ``None`` (queued now)."""
        future: asyncio.Future[RowTuple | None] = _submit(conn, jobs.fetch_one_tuple, sql, args)
        return future

    def fetch_value(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[Any]:
        """The first column of the first row, or ``None`` (queued now)."""
        future: asyncio.Future[Any] = _submit(conn, jobs.fetch_value, sql, args)
        return future

    def execute(
        self, conn: aiosqlite.Connection, sql: str, args: Sequence[Any]
    ) -> asyncio.Future[int]:
        """The affected row count (queued now)."""
        future: asyncio.Future[int] = _submit(conn, jobs.execute, sql, args)
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
            jobs.execute_many,
            conn._conn,
            sql,
            arg_lists,
            in_transaction,
        )
        return count

    async def begin(self, conn: aiosqlite.Connection) -> None:
        """``BEGIN IMMEDIATE``."""
        await _hop(conn, jobs.execute, conn._conn, "BEGIN IMMEDIATE", ())

    async def commit(self, conn: aiosqlite.Connection) -> None:
        """``COMMIT``."""
        await _hop(conn, jobs.execute, conn._conn, "COMMIT", ())

    async def rollback(self, conn: aiosqlite.Connection) -> None:
        """``ROLLBACK`` (when a transaction is open)."""
        if conn.in_transaction:
            await _hop(conn, jobs.execute, conn._conn, "ROLLBACK", ())

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
                yield rows if tuples else jobs.rows_as_dicts(cursor, rows)
        finally:
            if conn._connection is not None:
                await _hop(conn, cursor.close)
