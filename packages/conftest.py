"""Fixtures shared by every package's tests (see tests/support/paca_testing)."""

from paca_testing.services import mongodb_url, mysql_url, postgres_url, redis_url

__all__ = ["mongodb_url", "mysql_url", "postgres_url", "redis_url"]
