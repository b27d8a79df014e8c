"""Entry point for database integrations: SQL, NoSQL, pooling, migrations, monitoring.

Re-exports the public names of ``paca-sql``, ``paca-nosql``, ``paca-migrate`` and
``paca-monitor``. A name appears here once the package that implements it ships it.
"""

__all__: list[str] = []
