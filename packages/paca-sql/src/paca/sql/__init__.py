"""One async, Result-returning interface over SQLite, PostgreSQL and MySQL/MariaDB.

SQLConnector, ConnectionPool and QueryBuilder over SQLite, PostgreSQL and MySQL/MariaDB,
returning Result.

This package is being built: its public names (SQLConnector, ConnectionPool, QueryBuilder,
create_*_config) arrive with the issue that implements them.
"""

__all__: list[str] = []
