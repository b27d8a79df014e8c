"""One async, Result-returning interface over SQLite, PostgreSQL and MySQL/MariaDB.

``SQLConnector`` runs SQL with one parameter syntax (``:name`` or ``?``) on aiosqlite,
asyncpg or aiomysql, behind its own pool; every I/O method returns a
:class:`paca.result.Result` and never raises for an outside failure. ``QueryBuilder``
renders injection-proof statements per dialect: values are always bound parameters,
identifiers are validated and quoted, raw SQL only through ``raw()``.

Exceptions (raised only where a return value cannot carry the failure, or for misuse)::

    ResultError (paca.result)
    ├── TransactionError         a transaction could not begin/commit, or a statement in it failed
    └── StreamError              a ``stream()`` failed before or between rows
    RuntimeError
    └── TransactionStateError    a transaction used before its block, after it, or entered twice
    TimeoutError
    └── PoolTimeoutError         no connection within the acquire timeout (reported as a Result)
    ValueError
    ├── UnsupportedFeature       the dialect cannot express what the builder was asked for
    └── InvalidIdentifier        a table/column/alias name that is not a safe identifier
"""

from paca.sql._builder import QueryBuilder
from paca.sql._builder_select import Subquery
from paca.sql._config import (
    SQLConfig,
    create_mysql_config,
    create_postgres_config,
    create_sqlite_config,
)
from paca.sql._connector import SQLConnector
from paca.sql._dialect import Dialect, UnsupportedFeature, get_dialect
from paca.sql._expressions import Expr, Ordering, and_, col, escape_like, not_, or_
from paca.sql._functions import excluded, exists, func, raw
from paca.sql._identifiers import InvalidIdentifier
from paca.sql._pool_stats import PoolStats
from paca.sql._sql_errors import (
    PoolTimeoutError,
    StreamError,
    TransactionError,
    TransactionStateError,
)
from paca.sql._sql_events import PoolAcquired, PoolReleased, QueryFinished, SQLEvent
from paca.sql._statement import Query
from paca.sql._transaction import Transaction

__all__ = [
    # connector
    "SQLConnector",
    "SQLConfig",
    "create_sqlite_config",
    "create_postgres_config",
    "create_mysql_config",
    "Transaction",
    "Query",
    "PoolStats",
    # events
    "SQLEvent",
    "QueryFinished",
    "PoolAcquired",
    "PoolReleased",
    # query builder
    "QueryBuilder",
    "col",
    "raw",
    "func",
    "exists",
    "excluded",
    "and_",
    "or_",
    "not_",
    "escape_like",
    "Expr",
    "Ordering",
    "Subquery",
    "Dialect",
    "get_dialect",
    # errors
    "TransactionError",
    "TransactionStateError",
    "StreamError",
    "PoolTimeoutError",
    "UnsupportedFeature",
    "InvalidIdentifier",
]
