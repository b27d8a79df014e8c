"""The small interface every driver backend implements (SQLite, PostgreSQL, MySQL).

The connector and the pool talk to a backend only through this protocol, so a
multi-host pool (or a new driver) plugs in behind the same public API. A
backend is stateless about pooling: it opens, uses and closes one raw driver
connection at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Sequence

    from paca.result import ErrorKind
    from paca.sql._params import ParamStyle

__all__ = ["Backend", "Row", "RowTuple"]

Row = dict[str, Any]
RowTuple = tuple[Any, ...]


class Backend(Protocol):
    """One driver, seen through the operations the connector needs.

    Attributes:
        dialect: ``"sqlite"``, ``"postgresql"`` or ``"mysql"``.
        paramstyle: The driver's placeholder style.
        reuse_after_cancel: Whether a connection whose statement was
            interrupted can be recovered (:meth:`recover`) instead of closed.
        pipelined: Whether a statement method queues its work at once and
            returns an ``asyncio.Future`` (SQLite: the connection's worker
            thread runs queued calls in order), so the connection can go back
            to the pool before the result arrives.
        cancel_keeps_transaction: Whether an open transaction survives a
            statement interrupted by cancellation once the driver has settled
            the connection (aiosqlite finishes the call on its thread, asyncpg
            sends a cancel request and waits for it), so a savepoint can undo
            the statement. ``False``: the connection must be closed.
        stream_holds_connection: Whether a stream's unread rows block every
            other statement on its connection (MySQL's unbuffered results).
    """

    dialect: str
    paramstyle: ParamStyle
    reuse_after_cancel: bool
    pipelined: bool
    cancel_keeps_transaction: bool
    stream_holds_connection: bool

    def classify(self, exc: BaseException) -> ErrorKind:
        """Map a driver exception to an error kind."""
        ...

    async def open(self) -> Any:
        """Open one connection, configured (pragmas, charset, autocommit)."""
        ...

    async def close(self, conn: Any) -> None:
        """Close a connection politely."""
        ...

    def terminate(self, conn: Any) -> Awaitable[Any] | None:
        """Close a connection at once, without waiting (the server rolls back).

        Returns:
            Something the pool must await before the event loop ends, if any.
        """
        ...

    def is_closed(self, conn: Any) -> bool:
        """Whether the connection is known to be unusable."""
        ...

    async def ping(self, conn: Any) -> None:
        """Raise if the connection does not answer."""
        ...

    async def server_version(self, conn: Any) -> str:
        """The server's version string."""
        ...

    def fetch(self, conn: Any, sql: str, args: Sequence[Any]) -> Awaitable[list[Row]]:
        """Run a statement; return its rows as dicts."""
        ...

    def fetch_tuples(self, conn: Any, sql: str, args: Sequence[Any]) -> Awaitable[list[RowTuple]]:
        """Run a statement; return its rows as tuples (the driver's own rows where it can)."""
        ...

    def fetch_one(self, conn: Any, sql: str, args: Sequence[Any]) -> Awaitable[Row | None]:
        """Run a statement; return its first row, or ``None``."""
        ...

    def fetch_one_tuple(
        self, conn: Any, sql: str, args: Sequence[Any]
    ) -> Awaitable[RowTuple | None]:
        """Run a statement; return its first row as a tuple, or ``None``."""
        ...

    def fetch_value(self, conn: Any, sql: str, args: Sequence[Any]) -> Awaitable[Any]:
        """Run a statement; return the first column of its first row, or ``None``."""
        ...

    def execute(self, conn: Any, sql: str, args: Sequence[Any]) -> Awaitable[int]:
        """Run a statement; return the affected row count."""
        ...

    async def execute_many(
        self, conn: Any, sql: str, arg_lists: Sequence[Sequence[Any]], in_transaction: bool
    ) -> int:
        """Run a statement once per argument list, atomically; return the row count."""
        ...

    async def begin(self, conn: Any) -> None:
        """Start a transaction."""
        ...

    async def commit(self, conn: Any) -> None:
        """Commit the transaction."""
        ...

    async def rollback(self, conn: Any) -> None:
        """Roll the transaction back."""
        ...

    def in_transaction(self, conn: Any) -> bool:
        """Whether the connection has an open transaction (known locally)."""
        ...

    async def reset(self, conn: Any) -> bool:
        """Clear session state (settings, locks, cursors, temp tables).

        Returns:
            ``False`` when the connection cannot be reset and must be closed.
        """
        ...

    async def recover(self, conn: Any) -> bool:
        """After an interrupted statement: make the connection usable again.

        Returns:
            ``False`` when it must be closed instead.
        """
        ...

    def stream(
        self, conn: Any, sql: str, args: Sequence[Any], batch_size: int, tuples: bool
    ) -> AsyncGenerator[list[Row] | list[RowTuple], None]:
        """Yield the rows of a statement in batches (dicts, or tuples), with bounded memory.

        Inside a transaction the stream runs in it. Closed early (``aclose()``
        while it waits at a batch) on an open connection, it leaves the
        connection ready for the next statement (closes the cursor, reads
        what the server still sends).
        """
        ...
