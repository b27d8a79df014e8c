"""The MySQL/MariaDB backend (aiomysql), imported only when a MySQL connector connects.

Connections use ``utf8mb4`` and autocommit; a transaction is an explicit
``BEGIN``/``COMMIT``. ``pool_recycle`` (or ``max_lifetime``) replaces old
connections before the server's ``wait_timeout`` does. A connection that may
hold session state (user variables, ``SET``, locks, temporary tables) is
replaced rather than reset. Tuple rows come from aiomysql's plain cursors
as the driver builds them (no dict per row).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paca.sql._sql_errors import classify_mysql

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from paca.result import ErrorKind
    from paca.sql._backend import Row, RowTuple
    from paca.sql._config import SQLConfig
    from paca.sql._params import ParamStyle

__all__ = ["MySQLBackend"]

_IN_TRANS = 1  # SERVER_STATUS_IN_TRANS


async def _no_warnings(cursor: Any, conn: Any) -> None:
    """Skip aiomysql's SHOW WARNINGS round trip and its Python warnings."""


def _quiet(cursor_class: type[Any]) -> type[Any]:
    """A cursor class that neither fetches nor re-raises server warnings as Python warnings.

    Server notes (``DROP TABLE IF EXISTS`` on a missing table...) are not
    failures; aiomysql would turn each into an extra round trip and a
    Python warning.
    """
    return type(f"Quiet{cursor_class.__name__}", (cursor_class,), {"_show_warnings": _no_warnings})


class MySQLBackend:
    """MySQL or MariaDB through aiomysql; see the module docstring."""

    dialect = "mysql"
    paramstyle: ParamStyle = "format"
    reuse_after_cancel = False
    pipelined = False
    cancel_keeps_transaction = False
    stream_holds_connection = True

    def __init__(self, config: SQLConfig) -> None:
        import aiomysql  # noqa: PLC0415 - optional extra, imported on first use

        self._aiomysql = aiomysql
        self._cursor = _quiet(aiomysql.Cursor)
        self._dict_cursor = _quiet(aiomysql.DictCursor)
        self._stream_cursor = _quiet(aiomysql.SSDictCursor)
        self._stream_tuple_cursor = _quiet(aiomysql.SSCursor)
        self._config = config

    def classify(self, exc: BaseException) -> ErrorKind:
        """Map an exception with :func:`classify_mysql`."""
        return classify_mysql(exc)

    async def open(self) -> Any:
        """Open one connection (utf8mb4, autocommit)."""
        cfg = self._config
        return await self._aiomysql.connect(
            host=cfg.host,
            port=cfg.effective_port or 3306,
            user=cfg.user or "",
            password=cfg.password.reveal() if cfg.password else "",
            db=cfg.database,
            charset=cfg.charset,
            autocommit=True,
            connect_timeout=cfg.connect_timeout,
            program_name=cfg.application_name,
        )

    async def close(self, conn: Any) -> None:
        """Send ``COM_QUIT`` and close."""
        await conn.ensure_closed()

    def terminate(self, conn: Any) -> None:  # the Backend protocol allows an awaitable
        """Close the socket now; the server rolls back whatever was open."""
        conn.close()

    def is_closed(self, conn: Any) -> bool:
        """Whether the connection is closed."""
        return bool(conn.closed)

    async def ping(self, conn: Any) -> None:
        """``COM_PING``."""
        await conn.ping(reconnect=False)

    async def server_version(self, conn: Any) -> str:
        """The server's version string (``10.11.6-MariaDB...``)."""
        return str(conn.get_server_info())

    async def fetch(self, conn: Any, sql: str, args: Sequence[Any]) -> list[Row]:
        """Rows as dicts."""
        async with conn.cursor(self._dict_cursor) as cursor:
            await cursor.execute(sql, args)
            rows: list[Row] = await cursor.fetchall()
            return list(rows) if rows else []

    async def fetch_tuples(self, conn: Any, sql: str, args: Sequence[Any]) -> list[RowTuple]:
        """Rows as the driver's tuples."""
        async with conn.cursor(self._cursor) as cursor:
            await cursor.execute(sql, args)
            rows = await cursor.fetchall()
            return list(rows) if rows else []

    async def fetch_one_tuple(self, conn: Any, sql: str, args: Sequence[Any]) -> RowTuple | None:
        """The first row as the driver's tuple, or ``None``."""
        async with conn.cursor(self._cursor) as cursor:
            await cursor.execute(sql, args)
            row: RowTuple | None = await cursor.fetchone()
            return row

    async def fetch_one(self, conn: Any, sql: str, args: Sequence[Any]) -> Row | None:
        """The first row, or ``None``."""
        async with conn.cursor(self._dict_cursor) as cursor:
            await cursor.execute(sql, args)
            row: Row | None = await cursor.fetchone()
            return row

    async def fetch_value(self, conn: Any, sql: str, args: Sequence[Any]) -> Any:
        """The first column of the first row, or ``None``."""
        async with conn.cursor(self._cursor) as cursor:
            await cursor.execute(sql, args)
            row = await cursor.fetchone()
            return None if row is None else row[0]

    async def execute(self, conn: Any, sql: str, args: Sequence[Any]) -> int:
        """The affected row count."""
        async with conn.cursor(self._cursor) as cursor:
            count: int = await cursor.execute(sql, args)
            return count

    async def execute_many(
        self, conn: Any, sql: str, arg_lists: Sequence[Sequence[Any]], in_transaction: bool
    ) -> int:
        """Aiomysql's ``executemany`` (multi-row INSERTs), inside ``BEGIN``/``COMMIT``."""
        if not in_transaction:
            await conn.begin()
        try:
            async with conn.cursor(self._cursor) as cursor:
                count: int = await cursor.executemany(sql, arg_lists)
        except BaseException:
            if not in_transaction:
                conn.close()  # the transaction dies with the connection; never half-applied
            raise
        if not in_transaction:
            await conn.commit()
        return count or 0

    async def begin(self, conn: Any) -> None:
        """``BEGIN``."""
        await conn.begin()

    async def commit(self, conn: Any) -> None:
        """``COMMIT``."""
        await conn.commit()

    async def rollback(self, conn: Any) -> None:
        """``ROLLBACK``."""
        await conn.rollback()

    def in_transaction(self, conn: Any) -> bool:
        """From the server status flags of the last reply: no round trip."""
        return bool(conn.get_transaction_status())

    async def reset(self, conn: Any) -> bool:
        """A connection with session state is replaced, not reset."""
        return False

    async def recover(self, conn: Any) -> bool:
        """Never: an interrupted connection is closed."""
        return False

    async def stream(
        self, conn: Any, sql: str, args: Sequence[Any], batch_size: int, tuples: bool
    ) -> AsyncGenerator[list[Row] | list[RowTuple], None]:
        """An unbuffered (server-side) cursor, ``batch_size`` rows per fetch.

        Closed early on an open connection, it reads the rest of the result
        (the protocol allows nothing else before the next statement); the
        connector closes the connection first when it gives the stream up.
        """
        cursor = await conn.cursor(self._stream_tuple_cursor if tuples else self._stream_cursor)
        await cursor.execute(sql, args)
        while True:
            rows = await cursor.fetchmany(batch_size)
            if not rows:
                break
            try:
                yield list(rows)
            except GeneratorExit:
                if not conn.closed:
                    await cursor.close()
                raise
        await cursor.close()
