"""``SQLConnector.stream()``: the rows of a query one by one, with bounded memory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paca.result import ErrorKind, Result
from paca.sql._engine import NOT_CONNECTED
from paca.sql._sql_errors import StreamError
from paca.sql._statement import prepare

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from paca.sql._engine import Engine, Params
    from paca.sql._statement import Query

__all__ = ["stream_rows"]


async def stream_rows(
    db: Engine, query: str | Query, params: Params, batch_size: int, tuples: bool
) -> AsyncIterator[Any]:
    """The body of :meth:`SQLConnector.stream` (see there); rows as dicts or tuples."""
    if batch_size < 1:
        msg = f"batch_size must be >= 1, got {batch_size!r}"
        raise ValueError(msg)
    prepared = prepare(query, params, db._style, db.dialect)
    if isinstance(prepared, Result):
        raise StreamError(prepared)
    sql, args, touches = prepared
    pool = db._pool
    if pool is None:
        raise StreamError(NOT_CONNECTED)
    try:
        slot = await pool.acquire()
    except Exception as exc:
        raise StreamError(db._failure(exc)) from exc
    inner = db._backend.stream(slot.conn, sql, args, batch_size, tuples)
    count, done = 0, False
    try:
        async for batch in inner:
            count += len(batch)
            for row in batch:
                yield row
        done = True
    except Exception as exc:
        done = True
        failure = db._failure(exc)
        pool.discard(slot, lost=failure.kind is ErrorKind.CONNECTION)
        raise StreamError(failure) from exc
    finally:
        if not done:  # left early (break, aclose) or cancelled
            try:
                await inner.aclose()
            except Exception:  # noqa: S110 - the connection is dropped anyway
                pass
            finally:
                pool.abandon(slot)
    db._queries += 1
    await db._give_back(pool, slot, touches)
    if db._listeners:
        db._emit("stream", sql, 0.0, count, None, in_transaction=False)
