"""What a transaction and its nested transactions (SAVEPOINTs) share: one connection.

A :class:`TxLink` is made when an outermost transaction begins. It holds the
pooled connection, the stack of open levels (the outermost first, the
innermost last), the savepoint name counter, the streams open on the
connection, and, once a statement was interrupted where the driver cannot
recover (MySQL), the failure that makes the connection unusable.

The current task's innermost transaction per connector is found through a
context variable, so ``db.transaction()`` entered inside an open
transaction of the same task nests in it instead of taking a second
connection (see :func:`current_transaction`).
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import TYPE_CHECKING, Any, TypeVar

from paca.result import ErrorKind, Result
from paca.sql._engine import row_count
from paca.sql._sql_errors import TransactionStateError

if TYPE_CHECKING:
    import weakref
    from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence

    from paca.sql._engine import Engine
    from paca.sql._pool_slot import Slot
    from paca.sql._transaction import Transaction

__all__ = ["OpenStream", "TxLink", "current_transaction", "enter", "leave"]

T = TypeVar("T")

_CURRENT: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "paca_sql_transaction", default=None
)
_STREAM_OPEN = (
    "a stream on this transaction still holds unread rows, and on MySQL/MariaDB they block "
    "the connection: read the stream to its end, or close it "
    "(async with contextlib.aclosing(tx.stream(...)) as rows: ...), before the next statement"
)


def current_transaction(db: Engine) -> Transaction | None:
    """The innermost open transaction that the current task holds on ``db``, if any.

    A task started inside a transaction block (``asyncio.gather``,
    ``create_task``) inherits the context but not the transaction: it gets
    ``None`` and so a transaction of its own.
    """
    tx = _CURRENT.get()
    while tx is not None:
        link = tx._link
        if tx._db is db and link is not None and tx.is_active:
            return link.levels[-1] if link.owner is asyncio.current_task() else None
        tx = tx._outer_context
    return None


def enter(tx: Transaction) -> Transaction | None:
    """Make ``tx`` the context's innermost transaction; return the one it replaces."""
    previous = _CURRENT.get()
    _CURRENT.set(tx)
    return previous


def leave(tx: Transaction) -> None:
    """Undo :func:`enter` when ``tx`` is still the context's innermost transaction."""
    if _CURRENT.get() is tx:
        _CURRENT.set(tx._outer_context)


class OpenStream:
    """A ``Transaction.stream()`` under way on the transaction's connection."""

    __slots__ = ("closed", "closing", "depth", "inner", "owner")

    def __init__(self) -> None:
        self.inner: AsyncGenerator[Any, None] | None = None
        self.owner: weakref.ref[Any] | None = None  # the iterator the caller holds
        self.depth = 0  # the level it was opened in (0: the outermost transaction)
        self.closed = False
        self.closing: asyncio.Event | None = None  # set once its cursor is closed


class TxLink:
    """The connection shared by a transaction and its nested transactions."""

    __slots__ = ("broken", "db", "levels", "owner", "savepoints", "slot", "streams")

    def __init__(self, db: Engine, slot: Slot, root: Transaction) -> None:
        self.db = db
        self.slot = slot
        self.owner = asyncio.current_task()
        self.levels: list[Transaction] = [root]
        self.savepoints = 0
        self.streams: list[OpenStream] = []
        self.broken: Result[Any] | None = None

    @property
    def innermost(self) -> Transaction | None:
        """The innermost open level, where statements run (``None`` once all have ended)."""
        return self.levels[-1] if self.levels else None

    def savepoint_name(self) -> str:
        """A new savepoint name, unique on this connection (``paca_sp_1``, ``paca_sp_2``...)."""
        self.savepoints += 1
        return f"paca_sp_{self.savepoints}"

    # -- running and interrupted statements ------------------------------------------------

    async def execute(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        sql: str,
        args: Sequence[Any],
        touches: bool,
    ) -> Result[T]:
        """Run one statement of the transaction, in its innermost level; report it.

        A failure fails that level (it will not commit or release) and is
        returned; a lost or closed connection fails every later statement.
        """
        if self.streams:
            await self.settle_streams()
        level = self.levels[-1]
        db = self.db
        if self.broken is not None:
            level._fail(self.broken.kind)
            db.record(self.broken)
            return self.broken
        slot = self.slot
        listening = db._listeners.active
        start = db._clock.now() if listening else 0.0
        if touches:
            slot.dirty = True
        try:
            data = await self.run(level, op(slot.conn, sql, args))
        except Exception as exc:
            failure = db._failure(exc)
            level._fail(failure.kind)
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

    async def run(self, level: Transaction | None, pending: Awaitable[T]) -> T:
        """Await a statement on the connection; a cancellation fails ``level``.

        Inside a nested transaction, where the driver cannot settle a
        connection whose statement was interrupted (MySQL), the statement is
        let finish before the cancellation propagates, so the savepoint can
        still be rolled back and the enclosing transaction go on
        (``query_timeout`` bounds the wait; a second cancellation closes
        the connection).
        """
        db = self.db
        if db._backend.cancel_keeps_transaction or len(self.levels) < 2:
            try:
                return await db._wait(pending)
            except asyncio.CancelledError:
                self.interrupted(level)
                raise
        task = asyncio.ensure_future(db._wait(pending))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if level is not None:
                level._fail(ErrorKind.CANCELLED)
            try:
                await task  # cancelled again meanwhile: the statement is interrupted after all
            except asyncio.CancelledError:
                self.break_off("a statement of the transaction was interrupted (cancelled)")
            except Exception:  # noqa: S110 - the level is failed and rolls back anyway
                pass
            raise

    def interrupted(self, level: Transaction | None) -> None:
        """A statement of ``level`` was cancelled mid-flight: its outcome is unknown.

        The level is failed (it rolls back when it ends). Where the driver
        cannot settle an interrupted connection (MySQL), the connection is
        closed now and every later statement of the transaction fails.
        """
        if level is not None:
            level._fail(ErrorKind.CANCELLED)
        if not self.db._backend.cancel_keeps_transaction:
            self.break_off("a statement of the transaction was interrupted (cancelled)")

    def break_off(self, message: str) -> None:
        """Close the connection now: the transaction cannot go on (the server rolls back)."""
        if self.broken is None:
            self.broken = Result.fail(
                f"the transaction's connection was closed: {message}", ErrorKind.CONNECTION
            )
        self.forget_streams()
        pool = self.db._pool
        if pool is not None and not self.db._backend.is_closed(self.slot.conn):
            pool._terminate(self.slot.conn)

    # -- streams ---------------------------------------------------------------------------

    async def settle_streams(self) -> None:
        """Before a statement: close streams whose caller dropped them; refuse if one blocks.

        Raises:
            TransactionStateError: On MySQL/MariaDB, a stream the caller
                still holds has unread rows.
        """
        for stream in list(self.streams):
            if stream.closing is not None or (stream.owner is not None and stream.owner() is None):
                await self.close_stream(stream)
        if self.streams and self.db._backend.stream_holds_connection:
            raise TransactionStateError(_STREAM_OPEN)

    async def close_streams(self, depth: int) -> None:
        """Close the streams opened at level ``depth`` or deeper (that level is ending)."""
        for stream in [s for s in self.streams if s.depth >= depth]:
            await self.close_stream(stream)

    async def close_stream(self, stream: OpenStream) -> None:
        """Close one stream's cursor, leaving the connection ready for the next statement.

        A stream being closed stays listed until its cursor is closed, so a
        statement waits for that instead of running beside it.
        """
        if stream.closing is not None:
            await stream.closing.wait()
            return
        if stream.closed:  # it failed or was interrupted: nothing to close
            if stream in self.streams:
                self.streams.remove(stream)
            return
        stream.closed = True
        stream.closing = asyncio.Event()
        inner = stream.inner
        try:
            if inner is not None and self.broken is None:
                await inner.aclose()
        except asyncio.CancelledError:
            self.interrupted(self.innermost)
            raise
        except Exception:  # a failed drain, or a stream being read by another task
            self.break_off("a stream on it could not be closed")
        finally:
            if stream in self.streams:
                self.streams.remove(stream)
            stream.closing.set()

    def forget_streams(self) -> None:
        """Mark every stream closed without any I/O (the connection is being given up)."""
        for stream in self.streams:
            stream.closed = True
        self.streams.clear()
