"""The SQL connector and its configuration helpers (from ``paca-sql``)."""

from paca.sql import (
    SQLConfig,
    SQLConnector,
    create_mysql_config,
    create_postgres_config,
    create_sqlite_config,
)

__all__ = [
    "SQLConnector",
    "SQLConfig",
    "create_sqlite_config",
    "create_postgres_config",
    "create_mysql_config",
]
