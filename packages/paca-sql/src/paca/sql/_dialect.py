"""What each SQL dialect can say, and the per-build rendering state.

A :class:`Dialect` is an immutable feature table for one server kind and
(optionally) version: placeholder style (``$1`` PostgreSQL, ``%s``
MySQL/MariaDB, ``?`` SQLite), identifier quotes, and which statement forms exist.
Without ``server_version`` a current server is assumed. A form the dialect lacks
raises :class:`UnsupportedFeature` when the statement is built: the builder never
silently drops a clause.

============================  ==========  ===========  ==============  ============
feature                       PostgreSQL  MySQL        MariaDB         SQLite
============================  ==========  ===========  ==============  ============
RIGHT JOIN                    yes         yes          yes             >= 3.39
FULL JOIN                     yes         no           no              >= 3.39
NULLS FIRST/LAST              native      emulated     emulated        >= 3.30
                                                                       (else emul.)
WITH (CTE)                    yes         >= 8.0       >= 10.2         >= 3.8.3
upsert                        ON CONFLICT ON DUP. KEY  ON DUP. KEY     >= 3.24
upsert new-row reference      EXCLUDED    AS new       VALUES()        excluded
                                          (>= 8.0.19,
                                          else VALUES)
RETURNING (INSERT)            yes         no           >= 10.5         >= 3.35
RETURNING (UPDATE)            yes         no           no              >= 3.35
RETURNING (DELETE)            yes         no           >= 10.0.5       >= 3.35
============================  ==========  ===========  ==============  ============
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from paca.sql._identifiers import check_alias, quote_identifier

__all__ = ["Dialect", "DialectName", "Family", "Renderer", "UnsupportedFeature", "get_dialect"]

DialectName = Literal["postgresql", "mysql", "mariadb", "sqlite"]
Family = Literal["postgresql", "mysql", "sqlite"]

_LABELS = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "sqlite": "SQLite"}


class UnsupportedFeature(ValueError):  # noqa: N818 - name fixed by the issue
    """A statement uses a form the target dialect (or server version) does not have.

    Attributes:
        dialect: The dialect (and version when known), e.g. ``"MariaDB 10.4"``.
        feature: The missing form, e.g. ``"UPDATE ... RETURNING"``.
    """

    def __init__(self, dialect: str, feature: str) -> None:
        self.dialect = dialect
        self.feature = feature
        super().__init__(f"{feature} is not supported by {dialect}")


@dataclass(frozen=True, slots=True)
class Dialect:
    """The feature table of one SQL dialect, optionally for one server version.

    Build one with :func:`get_dialect`; the fields are read by the renderer.

    Attributes:
        name: ``"postgresql"``, ``"mysql"``, ``"mariadb"`` or ``"sqlite"``.
        family: The driver family: MariaDB reports ``"mysql"`` (same driver,
            same placeholders and quoting).
        server_version: The server version the forms are chosen for, or
            ``None`` for a current server.
    """

    name: DialectName
    family: Family
    server_version: tuple[int, ...] | None
    label: str
    right_join: bool
    full_join: bool
    native_nulls_order: bool
    ctes: bool
    upsert: bool
    upsert_row_alias: bool
    returning_insert: bool
    returning_update: bool
    returning_delete: bool

    def require(self, available: bool, feature: str) -> None:
        """Raise :class:`UnsupportedFeature` naming ``feature`` unless ``available``."""
        if not available:
            raise UnsupportedFeature(self.label, feature)


@lru_cache(maxsize=64)
def get_dialect(name: str, server_version: tuple[int, ...] | None = None) -> Dialect:
    """Return the (shared, immutable) feature table of a dialect.

    Args:
        name: ``"postgresql"``, ``"mysql"``, ``"mariadb"`` or ``"sqlite"``.
        server_version: e.g. ``(8, 0, 32)``; ``None`` assumes a current server.

    Returns:
        The dialect.

    Raises:
        ValueError: unknown dialect or malformed version.
    """
    if name not in _LABELS:
        raise ValueError(f"unknown SQL dialect {name!r}; expected one of {sorted(_LABELS)}")
    if server_version is not None and (
        not isinstance(server_version, tuple)
        or not server_version
        or not all(isinstance(p, int) and p >= 0 for p in server_version)
    ):
        raise ValueError(f"server_version must be a tuple of ints, got {server_version!r}")
    v = server_version

    def at_least(*wanted: int) -> bool:
        return v is None or v >= wanted

    label = _LABELS[name] + ("" if v is None else " " + ".".join(map(str, v)))
    if name == "postgresql":
        return Dialect(
            "postgresql", "postgresql", v, label, right_join=True, full_join=True,
            native_nulls_order=True, ctes=True, upsert=at_least(9, 5), upsert_row_alias=False,
            returning_insert=True, returning_update=True, returning_delete=True,
        )  # fmt: skip
    if name == "sqlite":
        returning = at_least(3, 35)
        return Dialect(
            "sqlite", "sqlite", v, label, right_join=at_least(3, 39), full_join=at_least(3, 39),
            native_nulls_order=at_least(3, 30), ctes=at_least(3, 8, 3), upsert=at_least(3, 24),
            upsert_row_alias=False, returning_insert=returning, returning_update=returning,
            returning_delete=returning,
        )  # fmt: skip
    if name == "mysql":
        return Dialect(
            "mysql", "mysql", v, label, right_join=True, full_join=False,
            native_nulls_order=False, ctes=at_least(8, 0), upsert=True,
            upsert_row_alias=at_least(8, 0, 19), returning_insert=False,
            returning_update=False, returning_delete=False,
        )  # fmt: skip
    return Dialect(
        "mariadb", "mysql", v, label, right_join=True, full_join=False,
        native_nulls_order=False, ctes=at_least(10, 2), upsert=True, upsert_row_alias=False,
        returning_insert=at_least(10, 5), returning_update=False,
        returning_delete=at_least(10, 0, 5),
    )  # fmt: skip


class Renderer:
    """The state of one ``build()``: the dialect and the parameters bound so far.

    Nodes render themselves in textual order, so ``$n`` numbers and the order of
    ``params`` always match the statement text.
    """

    __slots__ = ("_marker", "_numbered", "dialect", "excluded", "family", "params")

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.family: str = dialect.family
        self.params: list[Any] = []
        self._numbered = dialect.family == "postgresql"
        self._marker = "%s" if dialect.family == "mysql" else "?"
        # How EXCLUDED(col) renders inside an upsert: "excluded", "alias", "values".
        self.excluded: str | None = None

    def bind(self, value: Any) -> str:
        """Append ``value`` to the parameters; return its placeholder."""
        params = self.params
        params.append(value)
        if self._numbered:
            return f"${len(params)}"
        return self._marker

    def ident(self, name: str) -> str:
        """Return ``name`` (possibly dotted) quoted for this dialect."""
        return quote_identifier(name, self.family)

    def alias(self, name: str) -> str:
        """Return a single-part alias quoted for this dialect."""
        return quote_identifier(check_alias(name), self.family)

    def text(self, sql: str) -> str:
        """Return literal SQL text as the driver needs it (``%`` doubled for ``%s`` drivers)."""
        if self.family == "mysql":
            return sql.replace("%", "%%")
        return sql
