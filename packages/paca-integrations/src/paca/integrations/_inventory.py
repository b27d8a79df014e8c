"""What is installed: the ``paca-*`` distributions and the optional drivers."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib import metadata

__all__ = ["DRIVERS", "Distribution", "Driver", "distributions", "drivers"]


@dataclass(frozen=True)
class Distribution:
    """An installed ``paca-*`` distribution."""

    name: str
    version: str


@dataclass(frozen=True)
class Driver:
    """An optional third-party driver and whether it can be imported."""

    module: str
    distribution: str
    used_by: str
    install_hint: str
    version: str | None

    @property
    def available(self) -> bool:
        """Whether the driver is importable."""
        return self.version is not None


# module, distribution on PyPI, the paca packages that use it, how to get it
DRIVERS: tuple[tuple[str, str, str, str], ...] = (
    ("tenacity", "tenacity", "paca-resilience", "pip install paca-resilience"),
    ("aiohttp", "aiohttp", "paca-http, -graphql, -webhooks", "pip install paca-http"),
    ("gql", "gql", "paca-graphql", "pip install paca-graphql"),
    (
        "cryptography",
        "cryptography",
        "paca-webhooks (ed25519)",
        "pip install 'paca-webhooks[ed25519]'",
    ),
    ("aiosqlite", "aiosqlite", "paca-sql (SQLite)", "pip install paca-sql"),
    ("asyncpg", "asyncpg", "paca-sql (PostgreSQL)", "pip install 'paca-sql[postgres]'"),
    ("aiomysql", "aiomysql", "paca-sql (MySQL/MariaDB)", "pip install 'paca-sql[mysql]'"),
    ("pymongo", "pymongo", "paca-nosql (MongoDB)", "pip install 'paca-nosql[mongodb]'"),
    ("redis", "redis", "paca-nosql, shared state", "pip install 'paca-nosql[redis]'"),
    ("psutil", "psutil", "paca-monitor", "pip install paca-monitor"),
)


def distributions() -> list[Distribution]:
    """Return the installed ``paca-*`` distributions, sorted by name."""
    found: dict[str, Distribution] = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith("paca-") and name not in found:
            found[name] = Distribution(name, dist.version)
    return sorted(found.values(), key=lambda d: d.name)


def _version(module: str, distribution: str) -> str | None:
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown version"


def drivers() -> list[Driver]:
    """Return every optional driver with its version, or ``None`` when not importable."""
    return [
        Driver(module, dist, used_by, hint, _version(module, dist))
        for module, dist, used_by, hint in DRIVERS
    ]
