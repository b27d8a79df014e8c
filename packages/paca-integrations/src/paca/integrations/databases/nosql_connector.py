"""The NoSQL connector and its configuration helpers (from ``paca-nosql``)."""

__all__: list[str] = []
