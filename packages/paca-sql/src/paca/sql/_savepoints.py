"""Nested transactions: a SAVEPOINT on the connection of the transaction they nest in.

:func:`begin_savepoint` runs ``SAVEPOINT paca_sp_<n>`` in the innermost open
level; :func:`end_savepoint` runs ``RELEASE SAVEPOINT`` when the block ended
normally, and ``ROLLBACK TO SAVEPOINT`` when it raised, was cancelled, or had
a failed statement (then raising :class:`TransactionError` itself). Either
way the enclosing level goes on; a savepoint statement that fails leaves it
failed, since its state is unknown then.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from paca.result import ErrorKind, Result
from paca.sql._sql_errors import TransactionError

if TYPE_CHECKING:
    from paca.sql._transaction import Transaction
    from paca.sql._tx_state import TxLink

__all__ = ["begin_savepoint", "control", "end_savepoint"]

_FAILED_NESTED = "the nested transaction was rolled back to its savepoint: a statement in it failed"


async def begin_savepoint(tx: Transaction, link: TxLink) -> None:
    """Open ``tx`` as a savepoint in ``link``'s innermost level.

    Raises:
        TransactionError: ``SAVEPOINT`` failed (the enclosing level is failed too).
        TransactionStateError: On MySQL/MariaDB, a stream holds the connection.
    """
    if link.streams:
        await link.settle_streams()
    outer = link.levels[-1]
    name = link.savepoint_name()
    failure = await control(link, outer, f"SAVEPOINT {name}")
    if failure is not None:
        outer._fail(failure.kind)
        raise TransactionError(failure) from failure.cause
    tx._link = link
    tx._savepoint = name
    link.levels.append(tx)


async def end_savepoint(
    tx: Transaction, link: TxLink, depth: int, exc_type: type[BaseException] | None
) -> None:
    """End the savepoint ``tx`` (level ``depth`` of ``link``) as its block ended."""
    parent = link.levels[depth - 1]
    if exc_type is not None and not issubclass(exc_type, (Exception, asyncio.CancelledError)):
        link.levels.pop()  # KeyboardInterrupt, SystemExit...: no I/O now
        link.break_off("a nested transaction was interrupted")
        return
    cancelled: asyncio.CancelledError | None = None
    try:
        if link.streams:
            await link.close_streams(depth)
    except asyncio.CancelledError as interrupted:
        cancelled = interrupted  # roll back to the savepoint all the same, then propagate
    finally:
        link.levels.pop()
    quiet = exc_type is not None or cancelled is not None  # something propagates already
    error = await _close(tx, link, parent, release=not quiet and not tx._failed)
    if cancelled is not None:
        raise cancelled
    if error is not None and not quiet:
        raise error


async def _close(
    tx: Transaction, link: TxLink, parent: Transaction, *, release: bool
) -> TransactionError | None:
    """``RELEASE`` or ``ROLLBACK TO`` the savepoint; return what the block must raise."""
    if link.broken is not None:
        return TransactionError(link.broken)
    verb = "RELEASE SAVEPOINT" if release else "ROLLBACK TO SAVEPOINT"
    failure = await control(link, parent, f"{verb} {tx._savepoint}")
    if failure is not None:
        parent._fail(failure.kind)  # its state is unknown now
        error = TransactionError(failure)
        error.__cause__ = failure.cause
        return error
    if release:
        return None
    return TransactionError(Result.fail(_FAILED_NESTED, tx._failed or ErrorKind.UNKNOWN))


async def control(link: TxLink, level: Transaction, sql: str) -> Result[Any] | None:
    """Run ``SAVEPOINT``/``RELEASE``/``ROLLBACK TO``; return the failure, if any.

    An interruption fails ``level`` (the one the statement runs in).
    """
    if link.broken is not None:
        return link.broken
    db = link.db
    try:
        await link.run(level, db._backend.execute(link.slot.conn, sql, ()))
    except Exception as exc:
        return db._failure(exc)
    return None
