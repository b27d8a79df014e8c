import asyncio
import sqlite3

import pytest

from paca.result import ErrorKind
from paca.sql._connector import SQLConnector
from paca.sql._sql_errors import classify_mysql, classify_postgres, classify_sqlite, sql_failure

CANARY = "canary-Secret-91f3"


class FakePgError(Exception):
    def __init__(self, sqlstate: str, message: str = "boom") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "kind"),
    [
        ("25006", ErrorKind.READ_ONLY),
        ("23505", ErrorKind.INTEGRITY),
        ("23503", ErrorKind.INTEGRITY),
        ("42601", ErrorKind.QUERY),
        ("42P01", ErrorKind.QUERY),
        ("28P01", ErrorKind.AUTH),
        ("57P01", ErrorKind.CONNECTION),
        ("08006", ErrorKind.CONNECTION),
        ("40001", ErrorKind.CONFLICT),
        ("53300", ErrorKind.UNAVAILABLE),
        ("22P02", ErrorKind.VALIDATION),
        ("3D000", ErrorKind.NOT_FOUND),
    ],
)
def test_postgres_sqlstates(sqlstate: str, kind: ErrorKind) -> None:
    assert classify_postgres(FakePgError(sqlstate)) is kind


def test_postgres_cancel_and_timeout() -> None:
    assert (
        classify_postgres(FakePgError("57014", "canceling statement due to statement timeout"))
        is ErrorKind.TIMEOUT
    )
    assert (
        classify_postgres(FakePgError("57014", "canceling statement due to user request"))
        is ErrorKind.CANCELLED
    )
    assert classify_postgres(ConnectionResetError()) is ErrorKind.CONNECTION
    assert classify_postgres(asyncio.TimeoutError()) is ErrorKind.TIMEOUT


class OperationalError(Exception):
    pass


class IntegrityError(Exception):
    pass


@pytest.mark.parametrize(
    ("code", "cls", "kind"),
    [
        (1290, OperationalError, ErrorKind.READ_ONLY),
        (1792, OperationalError, ErrorKind.READ_ONLY),
        (1836, OperationalError, ErrorKind.READ_ONLY),
        (1062, IntegrityError, ErrorKind.INTEGRITY),
        (1452, IntegrityError, ErrorKind.INTEGRITY),
        (1064, OperationalError, ErrorKind.QUERY),
        (2013, OperationalError, ErrorKind.CONNECTION),
        (2006, OperationalError, ErrorKind.CONNECTION),
        (1927, OperationalError, ErrorKind.CONNECTION),
        (1045, OperationalError, ErrorKind.AUTH),
        (1213, OperationalError, ErrorKind.CONFLICT),
        (1317, OperationalError, ErrorKind.CANCELLED),
    ],
)
def test_mysql_codes(code: int, cls: type[Exception], kind: ErrorKind) -> None:
    assert classify_mysql(cls(code, "msg")) is kind


def test_sqlite_classes() -> None:
    assert (
        classify_sqlite(sqlite3.IntegrityError("UNIQUE constraint failed")) is ErrorKind.INTEGRITY
    )
    assert classify_sqlite(sqlite3.OperationalError("database is locked")) is ErrorKind.TIMEOUT
    assert classify_sqlite(sqlite3.OperationalError("near x: syntax error")) is ErrorKind.QUERY
    assert (
        classify_sqlite(sqlite3.OperationalError("attempt to write a readonly database"))
        is ErrorKind.READ_ONLY
    )
    assert (
        classify_sqlite(sqlite3.ProgrammingError("Cannot operate on a closed database."))
        is ErrorKind.CONNECTION
    )
    assert classify_sqlite(ValueError("Connection closed")) is ErrorKind.CONNECTION


def test_failure_masks_values_and_secrets() -> None:
    exc = IntegrityError(1062, "Duplicate entry 'alice@example.com' for key 'email'")
    result = sql_failure(exc, classify_mysql, [CANARY], dialect="mysql")
    assert result.kind is ErrorKind.INTEGRITY
    assert "alice" not in (result.error or "")
    assert result.meta["errno"] == 1062
    pg = FakePgError("23505", "duplicate key\nDETAIL:  Key (email)=(bob@x.org) already exists.")
    assert "bob@x.org" not in (sql_failure(pg, classify_postgres, []).error or "")
    leak = OSError(f"could not connect to postgresql://u:{CANARY}@h/db ({CANARY})")
    message = sql_failure(leak, classify_postgres, [CANARY]).error or ""
    assert CANARY not in message
    assert "***" in message


async def test_wrong_password_canary_never_leaks(postgres_url: str) -> None:
    from paca.sql._config import SQLConfig

    base = SQLConfig.from_url(postgres_url)
    # a user that does not exist, so even trust auth rejects it
    cfg = base.replace(user="paca_no_such_user", password=CANARY, read_retries=0)
    db = SQLConnector(cfg)
    result = await db.connect()
    assert not result.is_success
    assert result.kind in (ErrorKind.AUTH, ErrorKind.CONNECTION)
    assert CANARY not in (result.error or "")
    assert CANARY not in repr(result)
    assert CANARY not in repr(db) + repr(db.config)
    await db.disconnect()
