"""``SQLConnector``: one async, Result-returning interface over SQLite, PostgreSQL, MySQL.

Guarantees:

- every I/O method returns a :class:`~paca.result.Result`; driver errors,
  lost connections and timeouts never raise; misuse (a named parameter
  missing, a bad config) raises ``ValueError``/``TypeError`` at once;
- ``asyncio.CancelledError`` always propagates; a connection interrupted
  mid-statement is abandoned (terminated, so the server rolls back) and
  never handed to another caller;
- reads outside a transaction (``execute_query``, ``fetch_one``,
  ``fetch_value``) are retried after a lost connection through
  :class:`paca.resilience.RetryPolicy`; writes are never retried;
- ``stream()`` raises :class:`StreamError` (carrying the failed ``Result``)
  when it fails: an async iterator has no other way to report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from paca.resilience import Clock, MonotonicClock, RetryPolicy
from paca.result import Result
from paca.sql._config import SQLConfig
from paca.sql._engine import NOT_CONNECTED, READ_RETRY_KINDS, Engine, Params
from paca.sql._sql_events import SQLListeners
from paca.sql._sql_pool import SQLPool
from paca.sql._statement import Query, prepare
from paca.sql._stream import stream_rows
from paca.sql._transaction import Transaction

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from types import TracebackType

    from paca.sql._backend import Backend, Row, RowTuple
    from paca.sql._pool_stats import PoolStats
    from paca.sql._sql_events import SQLEvent

__all__ = ["SQLConnector", "make_backend"]

_NOT_CONNECTED = NOT_CONNECTED  # the former private names, kept for importers
_READ_RETRY_KINDS = READ_RETRY_KINDS


def make_backend(config: SQLConfig) -> Backend:
    """The backend for ``config.dialect`` (imports its driver)."""
    if config.dialect == "postgresql":
        from paca.sql._postgres import PostgresBackend  # noqa: PLC0415 - optional driver

        return PostgresBackend(config)
    if config.dialect == "mysql":
        from paca.sql._mysql import MySQLBackend  # noqa: PLC0415 - optional driver

        return MySQLBackend(config)
    from paca.sql._sqlite import SQLiteBackend  # noqa: PLC0415

    return SQLiteBackend(config)


class SQLConnector(Engine):
    """A pooled connection to one database.

    Args:
        config: An :class:`SQLConfig`, or a URL for :meth:`SQLConfig.from_url`.
        clock: Time source of the pool (lifetimes, idle timeouts, waits).
        read_retry: The policy for retrying reads after a lost connection
            (default: ``config.read_retries`` retries, short jittered backoff).

    Raises:
        ValueError: A bad configuration or URL.
        ImportError: The driver of the dialect is not installed
            (``pip install 'paca-sql[postgres]'`` or ``[mysql]``).

    Example:
        >>> async def main() -> None:
        ...     db = SQLConnector(create_sqlite_config("app.db"))
        ...     await db.connect()
        ...     result = await db.execute_query("SELECT 1 AS test")
        ...     assert result.data == [{"test": 1}]
        ...     await db.disconnect()
    """

    def __init__(
        self,
        config: SQLConfig | str,
        *,
        clock: Clock | None = None,
        read_retry: RetryPolicy | None = None,
    ) -> None:
        if isinstance(config, str):
            config = SQLConfig.from_url(config)
        if not isinstance(config, SQLConfig):
            msg = f"config must be an SQLConfig or a URL, not {type(config).__name__}"
            raise TypeError(msg)
        self.config = config
        self._backend = make_backend(config)
        self._style = self._backend.paramstyle
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._listeners = SQLListeners()
        self._pool: SQLPool | None = None
        self._secrets = config.secrets()
        self._server_version: str | None = None
        self._queries = 0
        self._errors: dict[str, int] = {}
        self._timeout = config.query_timeout if config.dialect != "postgresql" else None
        if read_retry is None and config.read_retries:
            read_retry = RetryPolicy(
                attempts=config.read_retries,
                base_delay=0.05,
                max_delay=1.0,
                retry_kinds=READ_RETRY_KINDS,
                clock=self._clock,
                name="paca.sql.read",
            )
        self._read_retry = read_retry

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def server_version(self) -> str | None:
        """The server's version string once connected (``"10.11.6-MariaDB"``...)."""
        return self._server_version

    @property
    def is_connected(self) -> bool:
        """Whether :meth:`connect` succeeded and :meth:`disconnect` was not called."""
        return self._pool is not None

    async def connect(self) -> Result[None]:
        """Open the pool (``min_size`` connections, at least one, to fail fast).

        Returns:
            ``Result.ok(None)``, or the failure (``AUTH``, ``CONNECTION``...).
            Connecting twice is a no-op.
        """
        if self._pool is not None:
            return Result.ok(None)
        pool = SQLPool(self._backend, self.config, self._clock, self._listeners)
        try:
            slot = await pool.start()
        except Exception as exc:
            await pool.close()
            return self._failure(exc)
        try:
            self._server_version = await self._backend.server_version(slot.conn)
        except asyncio.CancelledError:
            pool.abandon(slot)
            await pool.close()
            raise
        except Exception as exc:
            pool.discard(slot)
            await pool.close()
            return self._failure(exc)
        pool.release(slot)
        self._pool = pool
        return Result.ok(None)

    async def disconnect(self) -> Result[None]:
        """Close every connection (in-use ones as they come back)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
        return Result.ok(None)

    async def __aenter__(self) -> SQLConnector:
        """Connect; raise :class:`~paca.result.ResultError` if that fails."""
        (await self.connect()).unwrap()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()

    def add_listener(self, listener: Callable[[SQLEvent], object]) -> Callable[[], None]:
        """Call ``listener`` with every :class:`QueryFinished`, :class:`PoolAcquired`, :class:`PoolReleased`.

        Returns:
            A function that removes the listener.
        """  # noqa: E501
        return self._listeners.add(listener)

    def stats(self) -> PoolStats:
        """A snapshot of the pool (size, in use, waits, efficiency) and counters."""
        from paca.sql._pool_stats import PoolStats  # noqa: PLC0415 - off the hot path

        if self._pool is None:
            return PoolStats(self.dialect, 0, 0, 0, 0, 0, 0, 0.0, 0, 0, 0, 0, 0.0, self._queries)
        return self._pool.stats(self._queries, self._errors)

    async def ping(self) -> Result[float]:
        """Run a round trip on a pooled connection.

        Returns:
            The round-trip time in seconds, or the failure.
        """
        start = self._clock.now()
        result = await self._call("ping", self._ping, "", (), False)
        return result.map(lambda _: self._clock.now() - start)

    async def _ping(self, conn: Any, sql: str, args: Sequence[Any]) -> None:
        await self._backend.ping(conn)

    # -- statements ------------------------------------------------------------------------

    @overload
    async def execute_query(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[False] = False
    ) -> Result[list[Row]]: ...
    @overload
    async def execute_query(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[True]
    ) -> Result[list[RowTuple]]: ...
    @overload
    async def execute_query(
        self, query: str | Query, params: Params = None, *, as_tuples: bool
    ) -> Result[list[Row]] | Result[list[RowTuple]]: ...
    async def execute_query(
        self, query: str | Query, params: Params = None, *, as_tuples: bool = False
    ) -> Result[list[Row]] | Result[list[RowTuple]]:
        """Run a query and return its rows as dicts (or tuples).

        Args:
            query: SQL with ``:name`` (params a mapping) or ``?`` (params a
                sequence) placeholders, or a query object (``QueryBuilder``)
                whose ``build()`` gives native SQL for this dialect.
            params: The parameters; always bound, never formatted into SQL.
            as_tuples: Return each row as a tuple, in column order: faster
                (no dict per row; SQLite and MySQL hand over the driver's own
                tuples, PostgreSQL copies each ``Record`` with ``tuple()``).

        Returns:
            ``Result.ok(rows)``; a failure for a driver error (a query object
            for another dialect fails with ``VALIDATION``). Retried after a
            lost connection.

        Raises:
            ValueError: A named parameter is missing, or ``?`` count mismatch.
            TypeError: ``params`` has the wrong shape.
        """
        backend = self._backend
        if as_tuples:
            return await self._read("query", backend.fetch_tuples, query, params)
        return await self._read("query", backend.fetch, query, params)

    @overload
    async def fetch_one(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[False] = False
    ) -> Result[Row | None]: ...
    @overload
    async def fetch_one(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[True]
    ) -> Result[RowTuple | None]: ...
    @overload
    async def fetch_one(
        self, query: str | Query, params: Params = None, *, as_tuples: bool
    ) -> Result[Row | None] | Result[RowTuple | None]: ...
    async def fetch_one(
        self, query: str | Query, params: Params = None, *, as_tuples: bool = False
    ) -> Result[Row | None] | Result[RowTuple | None]:
        """Run a query and return its first row (``None`` when it has none).

        Same arguments and guarantees as :meth:`execute_query`.
        """
        backend = self._backend
        if as_tuples:
            return await self._read("fetch_one", backend.fetch_one_tuple, query, params)
        return await self._read("fetch_one", backend.fetch_one, query, params)

    async def fetch_value(self, query: str | Query, params: Params = None) -> Result[Any]:
        """Run a query and return the first column of its first row (``None`` if none).

        Same arguments and guarantees as :meth:`execute_query`.
        """
        return await self._read("fetch_value", self._backend.fetch_value, query, params)

    async def execute(self, query: str | Query, params: Params = None) -> Result[int]:
        """Run a statement and return the affected row count. Never retried.

        Same arguments as :meth:`execute_query`.
        """
        return await self._prepared("execute", self._backend.execute, query, params, self._call)

    async def execute_many(self, query: str | Query, param_sets: Sequence[Params]) -> Result[int]:
        """Run a statement once per parameter set, atomically, in one batch.

        SQLite runs ``executemany`` in one worker-thread hop; PostgreSQL
        pipelines; MySQL sends multi-row ``INSERT`` statements. All or none
        of the sets apply. Never retried.

        Args:
            query: SQL with placeholders (see :meth:`execute_query`).
            param_sets: One mapping or sequence per execution.

        Returns:
            The row count (PostgreSQL: the number of parameter sets run).
        """
        if not isinstance(query, str):
            msg = "execute_many takes SQL text"
            raise TypeError(msg)
        if not param_sets:
            return Result.ok(0)
        first = prepare(query, param_sets[0], self._style, self.dialect)
        if isinstance(first, Result):
            return first
        from paca.sql._params import bind_all, translate  # noqa: PLC0415

        translation = translate(query, self._style, isinstance(param_sets[0], Mapping))
        arg_lists = bind_all(translation, param_sets)
        return await self._call(
            "execute_many", self._execute_many, translation.sql, arg_lists, first[2]
        )

    async def _execute_many(self, conn: Any, sql: str, arg_lists: Sequence[Any]) -> int:
        return await self._backend.execute_many(conn, sql, arg_lists, False)

    def transaction(self) -> Transaction:
        """Open a transaction: ``async with db.transaction() as tx: await tx.execute(...)``.

        Commits when the block ends normally; rolls back on an exception, or
        when a statement in it failed (then raises :class:`TransactionError`);
        a cancelled block's connection is terminated, so the server rolls
        back. ``tx`` has ``execute_query``, ``execute``, ``execute_many``,
        ``fetch_one``, ``fetch_value`` and ``stream``; they are never retried.

        Nested: entered by a task that already holds a transaction on this
        connector, it becomes a SAVEPOINT in that task's innermost open
        transaction (as ``tx.transaction()`` does), not a second connection:
        released on success, rolled back to on an error or a cancellation,
        leaving the enclosing transaction usable. Other tasks, including
        ones started inside the block, get transactions of their own.
        Plain ``db.execute(...)`` calls never join a transaction: run the
        block's statements through ``tx``.
        """
        return Transaction(self)

    @overload
    def stream(
        self,
        query: str | Query,
        params: Params = None,
        *,
        batch_size: int = 1000,
        as_tuples: Literal[False] = False,
    ) -> AsyncIterator[Row]: ...
    @overload
    def stream(
        self,
        query: str | Query,
        params: Params = None,
        *,
        batch_size: int = 1000,
        as_tuples: Literal[True],
    ) -> AsyncIterator[RowTuple]: ...
    def stream(
        self,
        query: str | Query,
        params: Params = None,
        *,
        batch_size: int = 1000,
        as_tuples: bool = False,
    ) -> AsyncIterator[Any]:
        """Yield the rows of a query one by one, holding ``batch_size`` at most.

        PostgreSQL uses a server-side cursor (in a read-only transaction),
        MySQL an unbuffered cursor, SQLite ``fetchmany``. The connection is
        held until the iteration ends; leaving the loop early, or being
        cancelled, abandons it (it is closed, never reused half-read).
        ``as_tuples=True`` yields tuples instead of dicts (see
        :meth:`execute_query`).

        Raises:
            StreamError: The query failed, before the first row or between
                rows; its ``result`` is the failed ``Result``. Not retried.
            ValueError: ``batch_size`` < 1, or a parameter is missing.
        """
        return stream_rows(self, query, params, batch_size, as_tuples)

    def __repr__(self) -> str:
        cfg = self.config
        where = cfg.database if cfg.dialect == "sqlite" else f"{cfg.host}/{cfg.database}"
        state = "connected" if self._pool is not None else "disconnected"
        return f"<SQLConnector {cfg.dialect} {where!r} {state}>"
