"""Entry point for database integrations: SQL, NoSQL, pooling, migrations, monitoring.

Re-exports the public names of ``paca-sql``, ``paca-nosql``, ``paca-migrate`` and
``paca-monitor``. A name appears here once the package that implements it ships it.
"""

from paca.sql import (
    QueryBuilder,
    SQLConnector,
    create_mysql_config,
    create_postgres_config,
    create_sqlite_config,
)

__all__ = [
    # paca-sql
    "SQLConnector",
    "QueryBuilder",
    "create_sqlite_config",
    "create_postgres_config",
    "create_mysql_config",
]
