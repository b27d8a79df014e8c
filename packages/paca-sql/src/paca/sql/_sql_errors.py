"""The one place that turns driver exceptions into :class:`~paca.result.ErrorKind`.

One function per driver, duck-typed (no driver import, so ``paca.sql``
imports without the optional drivers):

- :func:`classify_postgres`: asyncpg, by SQLSTATE (``25006`` is
  ``READ_ONLY``, ``23xxx`` ``INTEGRITY``, ``42xxx`` ``QUERY``...);
- :func:`classify_mysql`: aiomysql/PyMySQL, by error number (1290, 1792,
  1836 are ``READ_ONLY``; 1062, 1451, 1452 ``INTEGRITY``...);
- :func:`classify_sqlite`: ``sqlite3`` exception classes and messages.

:func:`sql_failure` builds the failed ``Result``: the driver's message is
kept, values the server quotes back (``Duplicate entry '...'``) are masked,
parameters are never added, passwords and URL credentials are redacted.

Exceptions of this package (raised, not returned)::

    ResultError (paca.result)
    ├── TransactionError    a transaction could not begin or commit, or a statement in it failed
    └── StreamError         a stream() failed before or between rows
    RuntimeError
    └── TransactionStateError   a transaction used before it began or after it ended
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import TYPE_CHECKING, Any

from paca.result import ErrorKind, Result, ResultError, redact, redact_url

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "PoolTimeoutError",
    "StreamError",
    "TransactionError",
    "TransactionStateError",
    "classify_mysql",
    "classify_postgres",
    "classify_sqlite",
    "sql_failure",
]

_QUOTED_VALUE = re.compile(
    r"(Duplicate entry |for type [\w ]+: |value: )(?:'(?:[^']|'')*'|\"[^\"]*\")"
)
_KEY_VALUE = re.compile(r"Key \(([^)]*)\)=\((?:[^()]|\([^()]*\))*\)")
_PG_CLASSES = {
    "08": ErrorKind.CONNECTION,
    "22": ErrorKind.VALIDATION,
    "23": ErrorKind.INTEGRITY,
    "28": ErrorKind.AUTH,
    "3D": ErrorKind.NOT_FOUND,
    "40": ErrorKind.CONFLICT,
    "42": ErrorKind.QUERY,
    "53": ErrorKind.UNAVAILABLE,
    "57": ErrorKind.UNAVAILABLE,
}
_PG_CODES = {
    "25006": ErrorKind.READ_ONLY,  # read_only_sql_transaction (a standby or demoted primary)
    "42501": ErrorKind.AUTH,  # insufficient_privilege
    "57P01": ErrorKind.CONNECTION,  # admin_shutdown (pg_terminate_backend)
    "57P02": ErrorKind.CONNECTION,  # crash_shutdown
    "57P03": ErrorKind.UNAVAILABLE,  # cannot_connect_now (starting up)
    "55P03": ErrorKind.CONFLICT,  # lock_not_available
    "0A000": ErrorKind.QUERY,  # feature_not_supported
}
_MYSQL_CODES = {
    1040: ErrorKind.UNAVAILABLE,  # too many connections
    1044: ErrorKind.AUTH,
    1045: ErrorKind.AUTH,  # access denied
    1049: ErrorKind.NOT_FOUND,  # unknown database
    1053: ErrorKind.UNAVAILABLE,  # server shutdown in progress
    1048: ErrorKind.INTEGRITY,  # column cannot be null
    1062: ErrorKind.INTEGRITY,  # duplicate entry
    1169: ErrorKind.INTEGRITY,
    1216: ErrorKind.INTEGRITY,
    1217: ErrorKind.INTEGRITY,
    1451: ErrorKind.INTEGRITY,  # foreign key: parent row
    1452: ErrorKind.INTEGRITY,  # foreign key: child row
    1557: ErrorKind.INTEGRITY,
    1586: ErrorKind.INTEGRITY,
    3819: ErrorKind.INTEGRITY,  # check constraint (MySQL)
    4025: ErrorKind.INTEGRITY,  # check constraint (MariaDB)
    1205: ErrorKind.TIMEOUT,  # lock wait timeout
    1969: ErrorKind.TIMEOUT,  # MariaDB max_statement_time
    3024: ErrorKind.TIMEOUT,  # MySQL max_execution_time
    1213: ErrorKind.CONFLICT,  # deadlock
    1290: ErrorKind.READ_ONLY,  # --read-only
    1792: ErrorKind.READ_ONLY,  # read-only transaction
    1836: ErrorKind.READ_ONLY,  # read-only mode
    1317: ErrorKind.CANCELLED,  # query execution was interrupted
    1927: ErrorKind.CONNECTION,  # MariaDB: connection was killed
    2002: ErrorKind.CONNECTION,
    2003: ErrorKind.CONNECTION,  # can't connect
    2006: ErrorKind.CONNECTION,  # server has gone away
    2013: ErrorKind.CONNECTION,  # lost connection during query
    2055: ErrorKind.CONNECTION,
    1142: ErrorKind.AUTH,  # command denied
    1227: ErrorKind.AUTH,
}
_MYSQL_QUERY_RANGE = range(1000, 2000)


class PoolTimeoutError(TimeoutError):
    """No connection became free within ``acquire_timeout``."""


class TransactionError(ResultError):
    """A transaction could not begin, or could not commit.

    Raised by ``async with db.transaction()`` (an ``async with`` block can
    only report by raising). The failed :class:`~paca.result.Result` is in
    :attr:`result`.
    """

    def __init__(self, result: Result[Any]) -> None:
        super().__init__(result.error or "transaction failed", result.kind or ErrorKind.UNKNOWN)
        self.result = result


class TransactionStateError(RuntimeError):
    """A transaction was used in a state that does not allow it (a programming error).

    Raised for a statement, a stream or a nested transaction on a transaction
    that is not open yet or has ended (committed or rolled back), for entering
    one transaction twice, and, on MySQL/MariaDB, for a statement while a
    stream on the same transaction still holds unread rows.
    """


class StreamError(ResultError):
    """A ``stream()`` failed before its first row or between rows.

    Rows already yielded stay valid; the stream is over. The failed
    :class:`~paca.result.Result` is in :attr:`result`.
    """

    def __init__(self, result: Result[Any]) -> None:
        super().__init__(result.error or "stream failed", result.kind or ErrorKind.UNKNOWN)
        self.result = result


def _common(exc: BaseException) -> ErrorKind | None:
    if isinstance(exc, asyncio.CancelledError):
        return ErrorKind.CANCELLED
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return ErrorKind.TIMEOUT
    if isinstance(exc, (ConnectionError, OSError, EOFError)):
        return ErrorKind.CONNECTION
    return None


def classify_postgres(exc: BaseException) -> ErrorKind:
    """Map an asyncpg exception (or a socket error) to an :class:`ErrorKind`."""
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        if sqlstate == "57014":  # query_canceled: statement_timeout, or a cancel request
            return ErrorKind.TIMEOUT if "timeout" in str(exc) else ErrorKind.CANCELLED
        known = _PG_CODES.get(sqlstate) or _PG_CLASSES.get(sqlstate[:2])
        return known or ErrorKind.QUERY
    common = _common(exc)
    if common is not None:
        return common
    name = type(exc).__name__
    text = str(exc).lower()
    if (
        name in ("ConnectionDoesNotExistError", "ConnectionFailureError", "InternalClientError")
        or "closed" in text
    ):  # InternalClientError: the protocol state broke, typically as the server hung up
        return ErrorKind.CONNECTION
    if name in ("DataError", "InterfaceError", "ProtocolError") and "argument" in text:
        return ErrorKind.VALIDATION
    if name == "DataError":
        return ErrorKind.VALIDATION
    if name == "InterfaceError":
        return ErrorKind.QUERY
    return ErrorKind.UNKNOWN


def classify_mysql(exc: BaseException) -> ErrorKind:
    """Map an aiomysql/PyMySQL exception (or a socket error) to an :class:`ErrorKind`."""
    common = _common(exc)
    if common is not None:
        return common
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    name = type(exc).__name__
    if code is not None:
        known = _MYSQL_CODES.get(code)
        if known is not None:
            return known
        if name == "IntegrityError":
            return ErrorKind.INTEGRITY
        if name == "DataError":
            return ErrorKind.VALIDATION
        if code in _MYSQL_QUERY_RANGE or name == "ProgrammingError":
            return ErrorKind.QUERY
        if code == 0 or code >= 2000:
            return ErrorKind.CONNECTION
    if name == "InterfaceError":
        return ErrorKind.CONNECTION
    if name in ("ProgrammingError", "NotSupportedError"):
        return ErrorKind.QUERY
    return ErrorKind.UNKNOWN


def classify_sqlite(exc: BaseException) -> ErrorKind:
    """Map a ``sqlite3``/aiosqlite exception to an :class:`ErrorKind`."""
    common = _common(exc)
    if common is not None:
        return common
    text = str(exc).lower()
    if isinstance(exc, sqlite3.IntegrityError):
        return ErrorKind.INTEGRITY
    if isinstance(exc, sqlite3.OperationalError):
        if "locked" in text or "busy" in text:
            return ErrorKind.TIMEOUT
        if "readonly" in text or "read-only" in text:
            return ErrorKind.READ_ONLY
        if "unable to open" in text or "disk i/o" in text:
            return ErrorKind.CONNECTION
        if "interrupted" in text:
            return ErrorKind.CANCELLED
        return ErrorKind.QUERY
    if isinstance(exc, sqlite3.ProgrammingError):
        if "closed" in text:
            return ErrorKind.CONNECTION
        return ErrorKind.VALIDATION
    if isinstance(exc, (sqlite3.DataError, sqlite3.InterfaceError)):
        return ErrorKind.VALIDATION
    if isinstance(exc, sqlite3.DatabaseError):
        return ErrorKind.QUERY
    if isinstance(exc, ValueError) and "closed" in text:  # aiosqlite: "Connection closed"
        return ErrorKind.CONNECTION
    return ErrorKind.UNKNOWN


def clean_message(exc: BaseException, secrets: Iterable[str]) -> str:
    """The driver's message, with quoted values masked and secrets redacted."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc.args[0] if exc.args else None, int) and len(exc.args) > 1:
        text = f"({exc.args[0]}) {exc.args[1]}"  # PyMySQL: (code, message)
    text = _QUOTED_VALUE.sub(_mask_value, text)
    text = _KEY_VALUE.sub(r"Key (\1)=(***)", text)
    return redact(redact_url(text), *secrets)


def _mask_value(match: re.Match[str]) -> str:
    return f"{match.group(1)}'***'"


def sql_failure(
    exc: BaseException,
    classify: Callable[[BaseException], ErrorKind],
    secrets: Iterable[str],
    **meta: Any,
) -> Result[Any]:
    """Build the failed ``Result`` for a driver exception.

    Args:
        exc: The exception.
        classify: The driver's classification function.
        secrets: Values to redact from the message (the password).
        **meta: Facts for ``Result.meta`` (``dialect``, ``sqlstate``...).

    Returns:
        The failure, with ``exc`` as its cause.
    """
    kind = classify(exc)
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        meta["sqlstate"] = sqlstate
    elif exc.args and isinstance(exc.args[0], int):
        meta["errno"] = exc.args[0]
    message = f"{type(exc).__name__}: {clean_message(exc, secrets)}"
    return Result.fail(message, kind, cause=exc, meta=meta)
