"""``Transaction``: one connection, ``BEGIN`` ... ``COMMIT``/``ROLLBACK``, cancellation-safe."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from paca.result import ErrorKind, Result
from paca.sql._engine import row_count
from paca.sql._sql_errors import TransactionError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from types import TracebackType

    from paca.sql._backend import Row, RowTuple
    from paca.sql._connector import SQLConnector
    from paca.sql._sql_pool import Slot
    from paca.sql._statement import Query

    Params = Mapping[str, Any] | Sequence[Any] | None

__all__ = ["Transaction"]

T = TypeVar("T")


class Transaction:
    """A transaction on one pooled connection; made by :meth:`SQLConnector.transaction`.

    ``async with`` it: the block's statements share the connection; the
    transaction commits when the block ends normally. It rolls back when the
    block raises (the exception propagates), and when a statement in it
    failed: then :class:`TransactionError` is raised, since committing part
    of the work the caller may not have checked would be wrong. A cancelled
    block's connection is terminated (the server rolls back) and never
    reused. Beginning or committing can fail too: that raises
    :class:`TransactionError` carrying the failed ``Result``.

    Statements in a transaction are never retried.
    """

    __slots__ = ("_db", "_failed", "_slot")

    def __init__(self, db: SQLConnector) -> None:
        self._db = db
        self._slot: Slot | None = None
        self._failed: ErrorKind | None = None

    async def __aenter__(self) -> Transaction:
        db = self._db
        pool = db._pool
        if pool is None:
            raise TransactionError(
                Result.fail("the connector is not connected", ErrorKind.CONNECTION)
            )
        if self._slot is not None:
            msg = "this transaction is already open"
            raise RuntimeError(msg)
        try:
            slot = await pool.acquire()
        except Exception as exc:
            raise TransactionError(db._failure(exc)) from exc
        try:
            await db._backend.begin(slot.conn)
        except asyncio.CancelledError:
            pool.abandon(slot)
            raise
        except Exception as exc:
            failure = db._failure(exc)
            await db._after_error(pool, slot, failure.kind)
            raise TransactionError(failure) from exc
        self._slot = slot
        self._failed = None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        slot, self._slot = self._slot, None
        db = self._db
        pool = db._pool
        if slot is None or pool is None:  # pragma: no cover - disconnected meanwhile
            return
        backend = db._backend
        if exc_type is not None and not issubclass(exc_type, Exception):
            pool.abandon(slot)  # cancelled (or KeyboardInterrupt...): never await here
            return
        if exc_type is not None or self._failed is not None:
            await self._rollback(slot)
            if exc_type is None:
                message = "the transaction was rolled back: a statement in it failed"
                raise TransactionError(Result.fail(message, self._failed or ErrorKind.UNKNOWN))
            return
        try:
            await backend.commit(slot.conn)
        except asyncio.CancelledError:
            pool.abandon(slot)
            raise
        except Exception as commit_error:
            failure = db._failure(commit_error)
            await self._rollback(slot)
            raise TransactionError(failure) from commit_error
        await db._give_back(pool, slot, slot.dirty)

    async def _rollback(self, slot: Slot) -> None:
        db = self._db
        pool = db._pool
        assert pool is not None  # noqa: S101 - checked by the caller
        try:
            if not db._backend.is_closed(slot.conn):
                await db._backend.rollback(slot.conn)
        except asyncio.CancelledError:
            pool.abandon(slot)
            raise
        except Exception:
            pool.discard(slot)
            return
        if db._backend.is_closed(slot.conn):
            pool.discard(slot)
        else:
            await db._give_back(pool, slot, slot.dirty)

    # -- statements ------------------------------------------------------------------------

    @overload
    async def execute_query(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[False] = False
    ) -> Result[list[Row]]: ...
    @overload
    async def execute_query(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[True]
    ) -> Result[list[RowTuple]]: ...
    async def execute_query(
        self, query: str | Query, params: Params = None, *, as_tuples: bool = False
    ) -> Result[list[Row]] | Result[list[RowTuple]]:
        """Run a query in the transaction; return its rows as dicts (or tuples)."""
        backend = self._db._backend
        if as_tuples:
            return await self._run("query", backend.fetch_tuples, query, params)
        return await self._run("query", backend.fetch, query, params)

    @overload
    async def fetch_one(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[False] = False
    ) -> Result[Row | None]: ...
    @overload
    async def fetch_one(
        self, query: str | Query, params: Params = None, *, as_tuples: Literal[True]
    ) -> Result[RowTuple | None]: ...
    async def fetch_one(
        self, query: str | Query, params: Params = None, *, as_tuples: bool = False
    ) -> Result[Row | None] | Result[RowTuple | None]:
        """Run a query in the transaction; return its first row (dict or tuple) or ``None``."""
        backend = self._db._backend
        if as_tuples:
            return await self._run("fetch_one", backend.fetch_one_tuple, query, params)
        return await self._run("fetch_one", backend.fetch_one, query, params)

    async def fetch_value(self, query: str | Query, params: Params = None) -> Result[Any]:
        """Run a query in the transaction; return its first value or ``None``."""
        return await self._run("fetch_value", self._db._backend.fetch_value, query, params)

    async def execute(self, query: str | Query, params: Params = None) -> Result[int]:
        """Run a statement in the transaction; return the affected row count."""
        return await self._run("execute", self._db._backend.execute, query, params)

    async def execute_many(self, query: str, param_sets: Sequence[Params]) -> Result[int]:
        """Run a statement once per parameter set in the transaction."""
        from paca.sql._params import bind_all, translate  # noqa: PLC0415

        if not param_sets:
            return Result.ok(0)
        db = self._db
        translation = translate(query, db._style, isinstance(param_sets[0], Mapping))
        arg_lists = bind_all(translation, param_sets)

        async def many(conn: Any, sql: str, args: Sequence[Any]) -> int:
            return await db._backend.execute_many(conn, sql, args, True)

        return await self._exec(
            "execute_many", many, translation.sql, arg_lists, translation.touches_session
        )

    async def _run(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        query: str | Query,
        params: Params,
    ) -> Result[T]:
        return await self._db._prepared(name, op, query, params, self._exec)

    async def _exec(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        sql: str,
        args: Sequence[Any],
        touches: bool,
    ) -> Result[T]:
        slot = self._slot
        if slot is None:
            msg = "the transaction is not open; use it inside 'async with'"
            raise RuntimeError(msg)
        db = self._db
        listening = bool(db._listeners)
        start = db._clock.now() if listening else 0.0
        if touches:
            slot.dirty = True
        try:
            data = await db._wait(op(slot.conn, sql, args))
        except Exception as exc:
            failure = db._failure(exc)
            self._failed = failure.kind
            db.record(failure)
            if listening:
                db._emit(
                    name, sql, db._clock.now() - start, None, failure.kind, in_transaction=True
                )
            return failure
        result = Result.ok(data)
        db.record(result)
        if listening:
            db._emit(name, sql, db._clock.now() - start, row_count(data), None, in_transaction=True)
        return result
