"""``Transaction``: ``BEGIN`` ... ``COMMIT``/``ROLLBACK`` on one connection; nested: SAVEPOINTs.

An outermost transaction takes a pooled connection and begins; a nested one
(``tx.transaction()``, or ``db.transaction()`` entered by a task that holds
a transaction on that connector) runs ``SAVEPOINT paca_sp_<n>`` on the same
connection, ``RELEASE SAVEPOINT`` when its block succeeds and ``ROLLBACK TO
SAVEPOINT`` when it raises, is cancelled, or had a failed statement: the
enclosing transaction goes on. What the levels share (the connection, the
open levels, the streams, running a statement) lives in
:class:`~paca.sql._tx_state.TxLink`; the savepoint statements in
:mod:`paca.sql._savepoints`; the outermost level's begin and end here.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from paca.result import ErrorKind, Result
from paca.sql._savepoints import begin_savepoint, end_savepoint
from paca.sql._sql_errors import TransactionError, TransactionStateError
from paca.sql._stream import stream_in_transaction
from paca.sql._tx_state import OpenStream, TxLink, current_transaction, enter, leave

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
    from types import TracebackType

    from paca.sql._backend import Row, RowTuple
    from paca.sql._connector import SQLConnector
    from paca.sql._statement import Query

    Params = Mapping[str, Any] | Sequence[Any] | None

__all__ = ["Transaction"]

T = TypeVar("T")
_NEW, _OPEN, _DONE = 0, 1, 2
_FAILED = "the transaction was rolled back: a statement in it failed"


class Transaction:
    """A transaction on one pooled connection, or a nested one (a SAVEPOINT) inside another.

    Made by :meth:`SQLConnector.transaction` or :meth:`Transaction.transaction`;
    ``async with`` it once. The block's statements share the connection.

    An outermost transaction commits when the block ends normally. It rolls
    back when the block raises (the exception propagates), and when a
    statement in it failed: then :class:`TransactionError` is raised, since
    committing part of the work the caller may not have checked would be
    wrong. A cancelled block's connection is terminated (the server rolls
    back) and never reused. Beginning or committing can fail too: that
    raises :class:`TransactionError` carrying the failed ``Result``.

    A nested transaction is a ``SAVEPOINT`` with a generated name on the
    same connection: released when its block ends normally, rolled back to
    when the block raises, is cancelled (``asyncio.timeout`` around it), or
    had a failed statement (then :class:`TransactionError` is raised, as
    above). Either way the enclosing transaction stays usable and decides
    on its own. A statement run through an enclosing transaction while a
    nested one is open runs inside the nested one (it is one connection).

    Using a transaction before its block or after it, or entering it twice,
    raises :class:`TransactionStateError`. Statements in a transaction are
    never retried.
    """

    __slots__ = (
        "_db",
        "_failed",
        "_link",
        "_outer_context",
        "_parent",
        "_savepoint",
        "_state",
    )

    def __init__(self, db: SQLConnector, parent: Transaction | None = None) -> None:
        self._db = db
        self._parent = parent  # given by tx.transaction(); else looked up on entry
        self._link: TxLink | None = None
        self._savepoint: str | None = None
        self._state = _NEW
        self._failed: ErrorKind | None = None
        self._outer_context: Transaction | None = None

    @property
    def is_active(self) -> bool:
        """Whether the transaction's block is running (entered and not yet ended)."""
        return self._state == _OPEN

    @property
    def savepoint(self) -> str | None:
        """The SAVEPOINT name of a nested transaction once entered; ``None`` otherwise."""
        return self._savepoint

    def _fail(self, kind: ErrorKind | None) -> None:
        """Mark the transaction failed (the first kind is kept): it will not commit."""
        if self._failed is None:
            self._failed = kind or ErrorKind.UNKNOWN

    def transaction(self) -> Transaction:
        """A nested transaction: ``async with tx.transaction() as inner: ...``.

        It becomes a ``SAVEPOINT`` inside this transaction's innermost open
        level when entered; see the class docstring.
        """
        return Transaction(self._db, self)

    # -- begin and end ---------------------------------------------------------------------

    async def __aenter__(self) -> Transaction:
        if self._state != _NEW:
            msg = "this transaction was entered already: call transaction() again for a new one"
            raise TransactionStateError(msg)
        parent = self._parent
        if parent is None:
            parent = current_transaction(self._db)
        elif parent._link is None or not parent.is_active:
            raise TransactionStateError(_not_open(parent, "nest a transaction in"))
        self._state = _DONE  # a begin that fails is not retried on this object
        if parent is None:
            await self._begin()
        else:
            assert parent._link is not None  # noqa: S101 - an open transaction has its link
            await begin_savepoint(self, parent._link)
        self._state = _OPEN
        self._outer_context = enter(self)
        return self

    async def _begin(self) -> None:
        db = self._db
        pool = db._pool
        if pool is None:
            raise TransactionError(
                Result.fail("the connector is not connected", ErrorKind.CONNECTION)
            )
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
        self._link = TxLink(db, slot, self)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        link = self._link
        if self._state != _OPEN or link is None:  # ended already, with an enclosing one
            return
        self._state = _DONE
        depth = link.levels.index(self)
        for inner in reversed(link.levels[depth + 1 :]):  # left open: they end with this one
            inner._state = _DONE
            leave(inner)
        del link.levels[depth + 1 :]
        leave(self)
        if self._savepoint is None:
            await self._end(link, exc_type)
        else:
            await end_savepoint(self, link, depth, exc_type)

    async def _end(self, link: TxLink, exc_type: type[BaseException] | None) -> None:
        db = self._db
        pool = db._pool
        slot = link.slot
        if pool is None:  # pragma: no cover - disconnected meanwhile
            link.levels.clear()
            return
        if exc_type is not None and not issubclass(exc_type, Exception):
            link.forget_streams()
            link.levels.clear()
            pool.abandon(slot)  # cancelled (or KeyboardInterrupt...): never await here
            return
        try:
            if link.streams:
                await link.close_streams(0)
        except asyncio.CancelledError:
            pool.abandon(slot)
            raise
        finally:
            link.levels.clear()
        broken = link.broken
        failed = self._failed or (broken.kind if broken is not None else None)
        if exc_type is not None or failed is not None:
            await self._rollback(slot)
            if exc_type is None:
                raise TransactionError(broken or Result.fail(_FAILED, failed or ErrorKind.UNKNOWN))
            return
        try:
            await db._backend.commit(slot.conn)
        except asyncio.CancelledError:
            pool.abandon(slot)
            raise
        except Exception as commit_error:
            failure = db._failure(commit_error)
            await self._rollback(slot)
            raise TransactionError(failure) from commit_error
        await db._give_back(pool, slot, slot.dirty)

    async def _rollback(self, slot: Any) -> None:
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
        """Yield the rows of a query in the transaction, holding ``batch_size`` at most.

        As :meth:`SQLConnector.stream`, on the transaction's connection (it
        sees the transaction's uncommitted work). Leaving the loop early
        closes the cursor; the transaction goes on. Statements may run while
        it is open on PostgreSQL and SQLite; on MySQL/MariaDB unread rows
        block the connection, so read the stream to its end or close it
        (``contextlib.aclosing``) first, or :class:`TransactionStateError`
        is raised. When the (nested) transaction it was opened in ends, the
        stream is closed; reading on raises :class:`TransactionStateError`.

        Raises:
            StreamError: The query failed; the statement counts as failed
                in the transaction.
            TransactionStateError: The transaction is not open.
        """
        record = OpenStream()
        rows = stream_in_transaction(self, record, query, params, batch_size, as_tuples)
        record.owner = weakref.ref(rows)
        return rows

    async def _run(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        query: str | Query,
        params: Params,
    ) -> Result[T]:
        return await self._db._prepared(name, op, query, params, self._exec)

    def _open_link(self) -> TxLink:
        """The shared link of an open transaction.

        Raises:
            TransactionStateError: The transaction is not open.
        """
        link = self._link
        if self._state != _OPEN or link is None:
            raise TransactionStateError(_not_open(self, "use"))
        return link

    async def _exec(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        sql: str,
        args: Sequence[Any],
        touches: bool,
    ) -> Result[T]:
        return await self._open_link().execute(name, op, sql, args, touches)

    def __repr__(self) -> str:
        state = ("new", "open", "ended")[self._state]
        kind = f"savepoint {self._savepoint}" if self._savepoint else "transaction"
        return f"<Transaction {self._db.dialect} {kind} {state}>"


def _not_open(tx: Transaction, action: str) -> str:
    if tx._state == _NEW:
        return f"cannot {action} a transaction that is not open: use it inside 'async with'"
    return (
        f"cannot {action} a transaction that has ended (committed or rolled back): "
        "statements belong inside its 'async with' block"
    )
