"""The SQL connector and its configuration helpers (from ``paca-sql``)."""

__all__: list[str] = []
