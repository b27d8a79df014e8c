"""``stream()``: the rows of a query one by one, with bounded memory.

:func:`stream_rows` runs on a pooled connection of its own
(``SQLConnector.stream``); :func:`stream_in_transaction` on a transaction's
connection (``Transaction.stream``), which it leaves ready for the
transaction's next statement.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from paca.result import ErrorKind, Result
from paca.sql._engine import NOT_CONNECTED
from paca.sql._sql_errors import StreamError, TransactionStateError
from paca.sql._statement import prepare

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from paca.sql._engine import Engine, Params
    from paca.sql._pool_slot import Slot
    from paca.sql._sql_pool import SQLPool
    from paca.sql._statement import Query
    from paca.sql._transaction import Transaction
    from paca.sql._tx_state import OpenStream, TxLink

__all__ = ["stream_in_transaction", "stream_rows"]

_ENDED = "the transaction this stream was opened in has ended: its rows can no longer be read"


async def stream_rows(
    db: Engine, query: str | Query, params: Params, batch_size: int, tuples: bool
) -> AsyncIterator[Any]:
    """The body of :meth:`SQLConnector.stream` (see there); rows as dicts or tuples."""
    _check_batch_size(batch_size)
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
            await _give_up(pool, db._backend.reuse_after_cancel, slot, inner)
    db._queries += 1
    await db._give_back(pool, slot, touches)
    if db._listeners.active:
        db._emit("stream", sql, 0.0, count, None, in_transaction=False)


async def _give_up(
    pool: SQLPool, recoverable: bool, slot: Slot, inner: AsyncGenerator[Any, None]
) -> None:
    """Drop a stream left half-read: its connection is never reused as it is."""
    if recoverable:  # SQLite: close the cursor on the thread, then recover
        try:
            await inner.aclose()
        except Exception:  # noqa: S110 - the connection is rolled back or dropped anyway
            pass
        finally:
            pool.abandon(slot)
        return
    pool.abandon(slot)  # closed first, so nothing unread is drained (MySQL) before it goes
    with contextlib.suppress(Exception):  # the connection is closed already
        await inner.aclose()


async def stream_in_transaction(
    tx: Transaction,
    record: OpenStream,
    query: str | Query,
    params: Params,
    batch_size: int,
    tuples: bool,
) -> AsyncIterator[Any]:
    """The body of :meth:`Transaction.stream` (see there); ``record`` tracks it on the link."""
    _check_batch_size(batch_size)
    link = tx._open_link()
    db = link.db
    prepared = prepare(query, params, db._style, db.dialect)
    if isinstance(prepared, Result):
        raise StreamError(prepared)
    sql, args, touches = prepared
    if link.streams:
        await link.settle_streams()
    if link.broken is not None:
        raise StreamError(link.broken)
    if touches:
        link.slot.dirty = True
    record.depth = len(link.levels) - 1
    inner = db._backend.stream(link.slot.conn, sql, args, batch_size, tuples)
    record.inner = inner
    link.streams.append(record)
    count = 0
    try:
        while True:
            try:
                batch = await link.run(link.innermost, inner.__anext__())
            except StopAsyncIteration:
                break
            except Exception as exc:
                record.closed = True
                raise _failed(link, exc) from exc
            count += len(batch)
            for row in batch:
                yield row
                if record.closed:  # its transaction ended while the caller held a row
                    raise StreamError(link.broken) if link.broken else TransactionStateError(_ENDED)
    finally:
        await link.close_stream(record)
    db._queries += 1
    if db._listeners.active:
        db._emit("stream", sql, 0.0, count, None, in_transaction=True)


def _failed(link: TxLink, exc: Exception) -> StreamError:
    """A stream of the transaction failed: so did the level it ran in."""
    db = link.db
    failure = db._failure(exc)
    level = link.innermost
    if level is not None:
        level._fail(failure.kind)
    db.record(failure)
    return StreamError(failure)


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        msg = f"batch_size must be >= 1, got {batch_size!r}"
        raise ValueError(msg)
