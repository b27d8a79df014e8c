"""The PostgreSQL backend (asyncpg), imported only when a PostgreSQL connector connects.

asyncpg's prepared-statement cache is kept per connection
(``statement_cache_size``); ``pgbouncer=True`` turns it off so no named
server-side statement outlives a transaction. Rows come back as dicts, or
as tuples (``tuple(record)``: asyncpg has no tuple rows, and copying a
``Record`` into a tuple is one C call, cheaper than a dict).

Reset on release: asyncpg's own pool sends a reset query
(``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``) on every
release. This backend is asked to reset only when a statement on the
connection may have left session state behind (see
``Translation.touches_session``); then it sends that reset plus
``DISCARD TEMP``, ``DISCARD SEQUENCES`` and ``DEALLOCATE ALL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paca.sql._sql_errors import classify_postgres

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from paca.result import ErrorKind
    from paca.sql._backend import Row, RowTuple
    from paca.sql._config import SQLConfig
    from paca.sql._params import ParamStyle

__all__ = ["PostgresBackend"]

RESET_SQL = (
    "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL; "
    "SET SESSION AUTHORIZATION DEFAULT; DISCARD TEMP; DISCARD SEQUENCES; DEALLOCATE ALL"
)


def _count(status: str) -> int:
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


class PostgresBackend:
    """PostgreSQL through asyncpg; see the module docstring."""

    dialect = "postgresql"
    paramstyle: ParamStyle = "dollar"
    reuse_after_cancel = False
    pipelined = False
    cancel_keeps_transaction = True
    stream_holds_connection = False

    def __init__(self, config: SQLConfig) -> None:
        import asyncpg  # noqa: PLC0415 - optional extra, imported on first use

        self._asyncpg = asyncpg
        self._config = config

    def classify(self, exc: BaseException) -> ErrorKind:
        """Map an exception with :func:`classify_postgres`."""
        return classify_postgres(exc)

    async def open(self) -> Any:
        """Open one connection."""
        cfg = self._config
        return await self._asyncpg.connect(
            host=cfg.host,
            port=cfg.effective_port,
            user=cfg.user,
            password=cfg.password.reveal() if cfg.password else None,
            database=cfg.database,
            timeout=cfg.connect_timeout,
            statement_cache_size=0 if cfg.pgbouncer else cfg.statement_cache_size,
            command_timeout=cfg.query_timeout,
            server_settings={"application_name": cfg.application_name},
        )

    async def close(self, conn: Any) -> None:
        """Close politely."""
        await conn.close()

    def terminate(self, conn: Any) -> None:  # the Backend protocol allows an awaitable
        """Close the socket now; the server rolls back whatever was open."""
        conn.terminate()

    def is_closed(self, conn: Any) -> bool:
        """Whether asyncpg knows the connection is closed."""
        return bool(conn.is_closed())

    async def ping(self, conn: Any) -> None:
        """``SELECT 1`` as a simple query (one round trip)."""
        await conn.execute("SELECT 1")

    async def server_version(self, conn: Any) -> str:
        """``server_version`` as the server reports it."""
        return str(conn.get_settings().server_version)

    async def fetch(self, conn: Any, sql: str, args: Sequence[Any]) -> list[Row]:
        """Rows as dicts."""
        return [dict(record) for record in await conn.fetch(sql, *args)]

    async def fetch_tuples(self, conn: Any, sql: str, args: Sequence[Any]) -> list[RowTuple]:
        """Rows as tuples."""
        return [tuple(record) for record in await conn.fetch(sql, *args)]

    async def fetch_one(self, conn: Any, sql: str, args: Sequence[Any]) -> Row | None:
        """The first row, or ``None``."""
        record = await conn.fetchrow(sql, *args)
        return None if record is None else dict(record)

    async def fetch_one_tuple(self, conn: Any, sql: str, args: Sequence[Any]) -> RowTuple | None:
        """The first row as a tuple, or ``None``."""
        record = await conn.fetchrow(sql, *args)
        return None if record is None else tuple(record)

    async def fetch_value(self, conn: Any, sql: str, args: Sequence[Any]) -> Any:
        """The first column of the first row, or ``None``."""
        return await conn.fetchval(sql, *args)

    async def execute(self, conn: Any, sql: str, args: Sequence[Any]) -> int:
        """The affected row count from the command tag."""
        return _count(await conn.execute(sql, *args))

    async def execute_many(
        self, conn: Any, sql: str, arg_lists: Sequence[Sequence[Any]], in_transaction: bool
    ) -> int:
        """Asyncpg's pipelined, atomic ``executemany``; returns the parameter sets run."""
        await conn.executemany(sql, arg_lists)
        return len(arg_lists)

    async def begin(self, conn: Any) -> None:
        """``BEGIN``."""
        await conn.execute("BEGIN")

    async def commit(self, conn: Any) -> None:
        """``COMMIT``."""
        await conn.execute("COMMIT")

    async def rollback(self, conn: Any) -> None:
        """``ROLLBACK``."""
        await conn.execute("ROLLBACK")

    def in_transaction(self, conn: Any) -> bool:
        """From the last ReadyForQuery status: no round trip."""
        return bool(conn.is_in_transaction())

    async def reset(self, conn: Any) -> bool:
        """Roll back, then clear every kind of session state."""
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")
        conn._drop_local_statement_cache()
        await conn.execute(RESET_SQL)
        return True

    async def recover(self, conn: Any) -> bool:
        """Never: an interrupted connection is terminated."""
        return False

    async def stream(
        self, conn: Any, sql: str, args: Sequence[Any], batch_size: int, tuples: bool
    ) -> AsyncGenerator[list[Row] | list[RowTuple], None]:
        """A server-side cursor inside a read transaction, ``batch_size`` rows per fetch."""
        own = not conn.is_in_transaction()
        if own:
            await conn.execute("BEGIN READ ONLY")
        cursor = await conn.cursor(sql, *args)
        while True:
            records = await cursor.fetch(batch_size)
            if not records:
                break
            if tuples:
                yield [tuple(record) for record in records]
            else:
                yield [dict(record) for record in records]
        if own:
            await conn.execute("COMMIT")
