"""``SQLConfig``: where a database is and how its pool behaves.

Build one with :func:`create_sqlite_config`, :func:`create_postgres_config`,
:func:`create_mysql_config`, :meth:`SQLConfig.from_url` or
:meth:`SQLConfig.from_env`. The password is a :class:`~paca.result.Secret`:
``repr``, ``str`` and error messages never show it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from paca.result import Secret, redact_url

__all__ = [
    "DIALECTS",
    "SQLConfig",
    "create_mysql_config",
    "create_postgres_config",
    "create_sqlite_config",
]

DIALECTS = ("sqlite", "postgresql", "mysql")
_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "sqlite+aiosqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+asyncpg": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mysql+aiomysql": "mysql",
}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _default_pool_size() -> int:
    raw = os.environ.get("DB_POOL_SIZE", "10")
    try:
        size = int(raw)
    except ValueError:
        msg = f"DB_POOL_SIZE must be an integer, got {raw!r}"
        raise ValueError(msg) from None
    if size < 1:
        msg = f"DB_POOL_SIZE must be >= 1, got {size}"
        raise ValueError(msg)
    return size


@dataclass(frozen=True, slots=True)
class SQLConfig:
    """The settings of one :class:`~paca.sql.SQLConnector`.

    Attributes:
        dialect: ``"sqlite"``, ``"postgresql"`` or ``"mysql"`` (MariaDB too).
        database: The database name, or the SQLite file (``":memory:"``).
        host: The server host (ignored by SQLite).
        port: The server port (default: the dialect's).
        user: The user name.
        password: The password, kept as a :class:`~paca.result.Secret`.
        hosts: Further ``host[:port]`` entries, for a multi-host pool.
        min_size: Connections the pool keeps open once connected.
        max_size: The most connections open at once (``DB_POOL_SIZE``,
            default 10; always 1 for an in-memory SQLite database). SQLite
            queues plain statements on one connection's thread and hands the
            connection back at once, so concurrent reads and writes share one
            connection; further ones open only while a transaction, a
            ``stream()`` or a session-changing statement holds one (WAL
            readers beside a writer). 10 is a ceiling, not a thread count.
        acquire_timeout: Seconds a call waits for a free connection.
        connect_timeout: Seconds to open one connection.
        query_timeout: Seconds for one statement (``None``: no limit).
        max_lifetime: Seconds after which a connection is replaced
            (``None``: never); each gets a random share of
            ``lifetime_jitter`` off, so they do not all expire together.
        lifetime_jitter: The jitter share of ``max_lifetime`` (0 to 1).
        idle_timeout: Seconds an idle connection above ``min_size`` stays open.
        liveness_after: A connection idle this long is checked with a ping
            before it is handed out.
        read_retries: Retries of a read (``execute_query``, ``fetch_*``)
            outside a transaction after a lost connection; writes are never
            retried.
        application_name: Shown by the server (``pg_stat_activity``).
        pgbouncer: PostgreSQL behind PgBouncer in transaction mode: no
            prepared-statement cache, no server-side named statements.
        statement_cache_size: asyncpg's prepared-statement cache size.
        pool_recycle: MySQL: seconds after which a connection is replaced
            (overrides ``max_lifetime`` when set).
        charset: MySQL connection character set.
        journal_mode: SQLite ``journal_mode`` (``WAL`` by default).
        synchronous: SQLite ``synchronous`` pragma.
        busy_timeout: SQLite seconds to wait on a locked database.
        foreign_keys: SQLite ``foreign_keys`` pragma.
    """

    dialect: str
    database: str
    host: str = "127.0.0.1"
    port: int | None = None
    user: str | None = None
    password: Secret[str] | None = None
    hosts: tuple[str, ...] = ()
    min_size: int = 1
    max_size: int = field(default_factory=_default_pool_size)
    acquire_timeout: float = 10.0
    connect_timeout: float = 10.0
    query_timeout: float | None = None
    max_lifetime: float | None = 3600.0
    lifetime_jitter: float = 0.1
    idle_timeout: float | None = 600.0
    liveness_after: float = 30.0
    read_retries: int = 2
    application_name: str = "paca-sql"
    pgbouncer: bool = False
    statement_cache_size: int = 100
    pool_recycle: float | None = None
    charset: str = "utf8mb4"
    journal_mode: str = "WAL"
    synchronous: str = "NORMAL"
    busy_timeout: float = 5.0
    foreign_keys: bool = True

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            msg = f"unknown dialect {self.dialect!r}; use one of {', '.join(DIALECTS)}"
            raise ValueError(msg)
        if not isinstance(self.database, str) or not self.database:
            msg = "database must be a non-empty string"
            raise ValueError(msg)
        if self.password is not None and not isinstance(self.password, Secret):
            object.__setattr__(self, "password", Secret(self.password))
        if self.min_size < 0 or self.max_size < 1 or self.min_size > self.max_size:
            msg = f"need 0 <= min_size <= max_size and max_size >= 1 (got {self.min_size}, "
            msg += f"{self.max_size})"
            raise ValueError(msg)
        for name in ("acquire_timeout", "connect_timeout", "liveness_after", "busy_timeout"):
            if getattr(self, name) < 0:
                msg = f"{name} must be >= 0, got {getattr(self, name)!r}"
                raise ValueError(msg)
        for name in ("query_timeout", "max_lifetime", "idle_timeout", "pool_recycle"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                msg = f"{name} must be > 0 or None, got {value!r}"
                raise ValueError(msg)
        if not 0 <= self.lifetime_jitter <= 1:
            msg = f"lifetime_jitter must be within [0, 1], got {self.lifetime_jitter!r}"
            raise ValueError(msg)
        if self.read_retries < 0:
            msg = f"read_retries must be >= 0, got {self.read_retries!r}"
            raise ValueError(msg)

    # -- derived ---------------------------------------------------------------------------

    @property
    def is_memory(self) -> bool:
        """Whether this is an in-memory SQLite database (one shared connection)."""
        return self.dialect == "sqlite" and (
            self.database == ":memory:" or "mode=memory" in self.database
        )

    @property
    def effective_port(self) -> int | None:
        """The port, or the dialect's default."""
        return self.port if self.port is not None else _DEFAULT_PORTS.get(self.dialect)

    @property
    def effective_max_size(self) -> int:
        """``max_size``, except 1 for an in-memory SQLite database."""
        return 1 if self.is_memory else self.max_size

    @property
    def effective_lifetime(self) -> float | None:
        """The lifetime of a connection (``pool_recycle`` wins for MySQL)."""
        if self.dialect == "mysql" and self.pool_recycle is not None:
            return self.pool_recycle
        return self.max_lifetime

    def secrets(self) -> tuple[str, ...]:
        """The values error messages must never show (the password)."""
        return (self.password.reveal(),) if self.password else ()

    def replace(self, **changes: Any) -> SQLConfig:
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    # -- constructors ----------------------------------------------------------------------

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SQLConfig:
        """Parse a database URL.

        ``postgresql://user:pw@host:5432/db?max_size=20&pgbouncer=true``,
        ``mysql://user:pw@host/db`` (or ``mariadb://``),
        ``sqlite:///relative.db``, ``sqlite:////abs/path.db``,
        ``sqlite:///:memory:``. Query parameters set fields by name;
        ``options`` override them.

        Raises:
            ValueError: For an unknown scheme, a missing database or a bad
                option. The message shows the URL with its password masked.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        dialect = _SCHEMES.get(scheme)
        if dialect is None:
            msg = f"unknown dialect in URL {redact_url(url)!r}; use sqlite, postgresql or mysql"
            raise ValueError(msg)
        values: dict[str, Any] = {"dialect": dialect}
        if dialect == "sqlite":
            path = unquote(parts.netloc + parts.path)
            if path.startswith("/") and not parts.netloc:
                path = path[1:]
            values["database"] = path or ":memory:"
        else:
            values["database"] = unquote(parts.path.lstrip("/"))
            try:
                port = parts.port
            except ValueError:
                msg = f"bad port in URL {redact_url(url)!r}"
                raise ValueError(msg) from None
            hosts = parts.netloc.rpartition("@")[2].split(",")
            if parts.hostname:
                values["host"] = unquote(parts.hostname) if len(hosts) == 1 else hosts[0]
            if len(hosts) > 1:
                values["hosts"] = tuple(hosts[1:])
            elif port is not None:
                values["port"] = port
            if parts.username:
                values["user"] = unquote(parts.username)
            if parts.password:
                values["password"] = Secret(unquote(parts.password))
        for key, raw in parse_qsl(parts.query, keep_blank_values=True):
            values[key] = _coerce(key, raw, redact_url(url))
        values.update(options)
        if "password" in values and isinstance(values["password"], str):
            values["password"] = Secret(values["password"])
        return cls(**values)

    @classmethod
    def from_env(cls, prefix: str = "DB_", **options: Any) -> SQLConfig:
        """Read ``{prefix}URL``, or ``{prefix}DIALECT``/``HOST``/``PORT``/``NAME``/``USER``/``PASSWORD``.

        ``DB_POOL_SIZE`` sets ``max_size`` in both cases.

        Raises:
            ValueError: When neither the URL nor the dialect and name are set.
        """  # noqa: E501
        env = os.environ
        url = env.get(f"{prefix}URL")
        if url:
            return cls.from_url(url, **options)
        dialect, name = env.get(f"{prefix}DIALECT"), env.get(f"{prefix}NAME")
        if not dialect or not name:
            msg = f"set {prefix}URL, or {prefix}DIALECT and {prefix}NAME"
            raise ValueError(msg)
        values: dict[str, Any] = {"dialect": _SCHEMES.get(dialect.lower(), dialect)}
        values["database"] = name
        for key, var in (("host", "HOST"), ("user", "USER")):
            if env.get(prefix + var):
                values[key] = env[prefix + var]
        if env.get(f"{prefix}PORT"):
            values["port"] = _coerce("port", env[f"{prefix}PORT"], f"{prefix}PORT")
        password = Secret.from_env(f"{prefix}PASSWORD")
        if password is not None:
            values["password"] = password
        values.update(options)
        return cls(**values)


def _coerce(key: str, raw: str, where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(SQLConfig)}
    if key not in fields or key in ("dialect", "password"):
        msg = f"unknown option {key!r} in {where!r}"
        raise ValueError(msg)
    kind = str(fields[key].type)
    try:
        if kind.startswith("bool"):
            if raw.lower() not in _TRUE | _FALSE:
                raise ValueError(raw)
            return raw.lower() in _TRUE
        if raw.lower() in ("", "none", "null") and "None" in kind:
            return None
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if kind.startswith("tuple"):
            return tuple(h for h in raw.split(",") if h)
    except ValueError:
        msg = f"bad value for option {key!r} in {where!r}"
        raise ValueError(msg) from None
    return raw


def _with_password(password: str | Secret[str] | None) -> Secret[str] | None:
    if password is None or isinstance(password, Secret):
        return password
    return Secret(password)


def _server_config(
    dialect: str,
    database: str,
    host: str,
    port: int,
    user: str | None,
    password: str | Secret[str] | None,
    options: dict[str, Any],
) -> SQLConfig:
    """The configuration of a database server (PostgreSQL, MySQL/MariaDB)."""
    return SQLConfig(
        dialect=dialect,
        database=database,
        host=host,
        port=port,
        user=user,
        password=_with_password(password),
        **options,
    )


def create_sqlite_config(path: str = ":memory:", **options: Any) -> SQLConfig:
    """Configure an SQLite database file (WAL, ``foreign_keys=ON``...) or ``":memory:"``.

    Args:
        path: The database file, or ``":memory:"``.
        **options: Further :class:`SQLConfig` fields.

    Returns:
        The configuration.
    """
    return SQLConfig(dialect="sqlite", database=path, **options)


def create_postgres_config(
    *,
    database: str,
    host: str = "127.0.0.1",
    port: int = 5432,
    user: str | None = None,
    password: str | Secret[str] | None = None,
    **options: Any,
) -> SQLConfig:
    """Configure a PostgreSQL database (driver: asyncpg).

    Args:
        database: The database name.
        host: The server host.
        port: The server port.
        user: The user name.
        password: The password (plain or :class:`~paca.result.Secret`).
        **options: Further :class:`SQLConfig` fields (``pgbouncer=True``...).

    Returns:
        The configuration.
    """
    return _server_config("postgresql", database, host, port, user, password, options)


def create_mysql_config(
    *,
    database: str,
    host: str = "127.0.0.1",
    port: int = 3306,
    user: str | None = None,
    password: str | Secret[str] | None = None,
    **options: Any,
) -> SQLConfig:
    """Configure a MySQL or MariaDB database (driver: aiomysql).

    Args:
        database: The database name.
        host: The server host.
        port: The server port.
        user: The user name.
        password: The password (plain or :class:`~paca.result.Secret`).
        **options: Further :class:`SQLConfig` fields (``pool_recycle``...).

    Returns:
        The configuration.
    """
    return _server_config("mysql", database, host, port, user, password, options)
