"""The statement engine under ``SQLConnector``: acquire, run, release, retry reads, report.

One place decides what happens to a pooled connection after a statement
(released, reset, recovered, abandoned or discarded), how a read is retried
after a lost connection, and which events and counters a statement produces.
:class:`~paca.sql._transaction.Transaction` and ``stream()`` reuse its
helpers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from paca.result import ErrorKind, Result
from paca.sql._sql_errors import sql_failure
from paca.sql._sql_events import QueryFinished
from paca.sql._statement import Query, prepare

if TYPE_CHECKING:
    from paca.resilience import Clock, RetryPolicy
    from paca.sql._backend import Backend
    from paca.sql._config import SQLConfig
    from paca.sql._params import ParamStyle
    from paca.sql._pool_slot import Slot
    from paca.sql._sql_events import SQLListeners
    from paca.sql._sql_pool import SQLPool

__all__ = ["NOT_CONNECTED", "READ_RETRY_KINDS", "Engine", "Params", "Runner", "row_count"]

T = TypeVar("T")
Params = Mapping[str, Any] | Sequence[Any] | None
READ_RETRY_KINDS = frozenset({ErrorKind.CONNECTION, ErrorKind.UNAVAILABLE})
Runner = Callable[
    [str, Callable[[Any, str, Sequence[Any]], Awaitable[T]], str, Sequence[Any], bool],
    Awaitable[Result[T]],
]
"""Runs native SQL: ``(name, op, sql, args, touches_session) -> Result``."""
NOT_CONNECTED: Result[Any] = Result.fail(
    "the connector is not connected; call connect() first", ErrorKind.CONNECTION
)


class Engine:
    """Runs statements on pooled connections; the base of ``SQLConnector``."""

    config: SQLConfig
    _backend: Backend
    _style: ParamStyle
    _clock: Clock
    _listeners: SQLListeners
    _pool: SQLPool | None
    _secrets: tuple[str, ...]
    _queries: int
    _errors: dict[str, int]
    _timeout: float | None
    _read_retry: RetryPolicy | None

    @property
    def dialect(self) -> str:
        """``"sqlite"``, ``"postgresql"`` or ``"mysql"`` (MariaDB included)."""
        return self.config.dialect

    async def _prepared(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        query: str | Query,
        params: Params,
        run: Runner[T],
    ) -> Result[T]:
        """Bind ``params`` into ``query`` for this dialect, then ``run`` the native SQL."""
        prepared = prepare(query, params, self._style, self.dialect)
        if isinstance(prepared, Result):
            return prepared
        sql, args, touches = prepared
        return await run(name, op, sql, args, touches)

    async def _wait(self, pending: Awaitable[T]) -> T:
        """Await a statement, within the statement timeout when one is set."""
        if self._timeout is None:
            return await pending
        return await asyncio.wait_for(pending, self._timeout)

    def _read(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        query: str | Query,
        params: Params,
    ) -> Coroutine[Any, Any, Result[T]]:
        """Bind ``params`` and run a read, retried after a lost connection.

        A plain function returning :meth:`_call`'s coroutine: one coroutine
        fewer between the caller and the driver on the hot path. Binding
        errors (``ValueError``, ``TypeError``) raise in the caller's coroutine.
        """
        prepared = prepare(query, params, self._style, self.config.dialect)
        if type(prepared) is not tuple:
            return _settled(prepared)  # type: ignore[arg-type]  # a Result
        sql, args, touches = prepared
        return self._call(name, op, sql, args, touches, True)

    async def _call(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        sql: str,
        args: Sequence[Any],
        touches: bool,
        read: bool = False,
    ) -> Result[T]:
        """Run native SQL on a pooled connection; ``read``: retry after a lost connection."""
        listening = self._listeners.active
        start = self._clock.now() if listening else 0.0
        pool = self._pool
        if pool is None:
            return NOT_CONNECTED
        if self._backend.pipelined and not touches:
            # SQLite: the job is queued on the connection's thread, which runs jobs in order,
            # so the connection stays in the pool and serves the next caller meanwhile
            lent = pool.lend()
            if lent is not None:
                try:
                    pending = op(lent.conn, sql, args)
                    data = await (pending if self._timeout is None else self._wait(pending))
                except Exception as exc:  # a closed connection is dropped by the next acquire
                    failure = self._failure(exc)
                    return await self._failed(name, op, sql, args, touches, start, failure, read)
                self._queries += 1
                return Result.ok(data)  # nobody listens: lend() declines when someone does
        slot = pool.try_acquire()
        if slot is None:
            try:
                slot = await pool.acquire()
            except Exception as exc:
                failure = self._failure(exc)
                return await self._failed(name, op, sql, args, touches, start, failure, read)
        try:
            pending = op(slot.conn, sql, args)
            data = await (pending if self._timeout is None else self._wait(pending))
        except asyncio.CancelledError:
            pool.abandon(slot)
            raise
        except Exception as exc:
            failure = self._failure(exc)
            await self._after_error(pool, slot, failure.kind)
            return await self._failed(name, op, sql, args, touches, start, failure, read)
        self._queries += 1
        if touches:
            await self._give_back(pool, slot, touches)
        else:
            pool.release(slot)
        if listening:
            self._emit(
                name, sql, self._clock.now() - start, row_count(data), None, in_transaction=False
            )
        return Result.ok(data)

    async def _failed(
        self,
        name: str,
        op: Callable[[Any, str, Sequence[Any]], Awaitable[T]],
        sql: str,
        args: Sequence[Any],
        touches: bool,
        start: float,
        failure: Result[Any],
        read: bool,
    ) -> Result[T]:
        """Report a failed statement; retry a read after a lost connection."""
        self._report(name, sql, start, failure)
        if not read or failure.kind not in READ_RETRY_KINDS or not self._read_retry:
            return failure
        retried = await self._read_retry.execute(self._call, name, op, sql, args, touches)
        return retried.with_meta(attempts=retried.meta.get("attempts", 1) + 1)

    async def _give_back(self, pool: SQLPool, slot: Slot, touches: bool) -> None:
        if touches or slot.dirty:
            try:
                await pool.release_after(slot)
            except asyncio.CancelledError:
                raise
        else:
            pool.release(slot)

    async def _after_error(self, pool: SQLPool, slot: Slot, kind: ErrorKind | None) -> None:
        backend = self._backend
        if kind is ErrorKind.TIMEOUT and self._timeout is not None:
            pool.abandon(slot)  # the statement may still run: never reuse mid-statement
        elif kind is ErrorKind.CONNECTION or backend.is_closed(slot.conn):
            if backend.reuse_after_cancel and not backend.is_closed(slot.conn):
                pool.release(slot)
            else:
                pool.discard(slot)
        elif backend.in_transaction(slot.conn):
            await pool.release_after(slot)  # a failed BEGIN... outside transaction(): reset
        else:
            pool.release(slot)

    def _failure(self, exc: BaseException) -> Result[Any]:
        return sql_failure(exc, self._backend.classify, self._secrets, dialect=self.dialect)

    def record(self, result: Result[Any]) -> None:
        """Count a statement's outcome (for :meth:`stats`)."""
        if result.is_success:
            self._queries += 1
        else:
            kind = (result.kind or ErrorKind.UNKNOWN).value
            self._errors[kind] = self._errors.get(kind, 0) + 1

    def _report(self, name: str, sql: str, start: float, failure: Result[Any]) -> Result[Any]:
        kind = (failure.kind or ErrorKind.UNKNOWN).value
        self._errors[kind] = self._errors.get(kind, 0) + 1
        if self._listeners.active:
            duration = self._clock.now() - start
            self._emit(name, sql, duration, None, failure.kind, in_transaction=False)
        return failure

    def _emit(
        self,
        name: str,
        sql: str,
        duration: float,
        rows: int | None,
        kind: ErrorKind | None,
        *,
        in_transaction: bool,
    ) -> None:
        event = QueryFinished(self.dialect, name, sql, duration, rows, kind, in_transaction)
        self._listeners.emit(event)


def row_count(data: Any) -> int:
    """The row count an event reports for a statement's result."""
    return len(data) if isinstance(data, list) else (data if isinstance(data, int) else 1)


async def _settled(result: Result[T]) -> Result[T]:
    """A coroutine returning ``result`` (a query that failed before it ran)."""
    return result
