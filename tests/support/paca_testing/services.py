"""Fixtures for the real services the tests use: PostgreSQL, MySQL/MariaDB, Redis, MongoDB.

Each service is found through an environment variable holding its URL, with the
loopback default of the development machine. A test that needs a service that
does not answer is skipped with the reason, except when ``PACA_REQUIRE_SERVICES=1``
(CI sets it), where it fails: CI must never go green by skipping.

MongoDB has no default: its live tests run only when ``PACA_MONGODB_URL`` is set.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import pytest

__all__ = ["SERVICES", "Service", "require"]


@dataclass(frozen=True)
class Service:
    """A service the tests can use."""

    name: str
    env: str
    default: str | None
    default_port: int

    @property
    def url(self) -> str | None:
        """The configured URL, or the default."""
        return os.environ.get(self.env) or self.default


SERVICES = {
    "postgres": Service(
        "PostgreSQL", "PACA_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test", 5432
    ),
    "mysql": Service("MySQL/MariaDB", "PACA_MYSQL_URL", "mysql://root@127.0.0.1:3306/test", 3306),
    "redis": Service("Redis", "PACA_REDIS_URL", "redis://127.0.0.1:6379/0", 6379),
    "mongodb": Service("MongoDB", "PACA_MONGODB_URL", None, 27017),
}


@cache
def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return True
    except OSError:
        return False


def require(key: str) -> str:
    """Return the URL of service ``key``, or skip (fail under CI) when it cannot be reached."""
    service = SERVICES[key]
    url = service.url
    if url is None:
        pytest.skip(f"{service.name} tests need {service.env} set to a server URL")
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or service.default_port
    if not _answers(host, port):
        reason = f"{service.name} is not answering at {host}:{port} (set {service.env})"
        if os.environ.get("PACA_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}; PACA_REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_url() -> str:
    """URL of the PostgreSQL server (``PACA_POSTGRES_URL``)."""
    return require("postgres")


@pytest.fixture
def mysql_url() -> str:
    """URL of the MySQL/MariaDB server (``PACA_MYSQL_URL``)."""
    return require("mysql")


@pytest.fixture
def redis_url() -> str:
    """URL of the Redis server (``PACA_REDIS_URL``)."""
    return require("redis")


@pytest.fixture
def mongodb_url() -> str:
    """URL of a live MongoDB server (``PACA_MONGODB_URL``); skipped when unset."""
    return require("mongodb")
