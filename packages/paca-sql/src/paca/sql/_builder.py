"""``QueryBuilder``: immutable, chainable SQL statements for PostgreSQL, MySQL/MariaDB, SQLite.

Example:
    >>> from paca.sql import QueryBuilder, col
    >>> q = (
    ...     QueryBuilder("users", dialect="postgresql")
    ...     .select("id", "name")
    ...     .where(col("age") > 18, col("name").like("a%"))
    ...     .order_by("name")
    ...     .limit(10)
    ... )
    >>> q.build()
    ('SELECT "id", "name" FROM "users" WHERE "age" > $1 AND "name" LIKE $2 ORDER BY "name" ASC LIMIT $3', [18, 'a%', 10])

Every method returns a new builder (the original is never changed), so a base
query can be shared and refined. Values are always bound parameters; identifiers
are validated and quoted; unsupported forms raise
:class:`~paca.sql.UnsupportedFeature` at ``build()``.
"""  # noqa: E501

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from paca.sql._builder_select import Join, Subquery, render_select, selected
from paca.sql._builder_write import (
    Conflict,
    WriteClauses,
    render_delete,
    render_insert,
    render_update,
)
from paca.sql._dialect import Dialect, Family, Renderer, get_dialect
from paca.sql._expressions import (
    Column,
    Expr,
    Node,
    Ordering,
    Selectable,
    and_,
    coerce,
    or_,
)
from paca.sql._identifiers import check_alias, split_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["QueryBuilder"]

_RENDER = {"select": render_select, "insert": render_insert, "update": render_update}


def _expr(item: str | Expr) -> Expr:
    return Column(item) if isinstance(item, str) else coerce(item)


def _ordering(item: str | Expr | Ordering) -> Ordering:
    if isinstance(item, Ordering):
        return item
    return _expr(item).asc()


def _count(value: int | None, what: str) -> int | None:
    if value is not None and (type(value) is not int or value < 0):
        raise ValueError(f"{what} must be a non-negative int or None, not {value!r}")
    return value


class QueryBuilder(WriteClauses, Selectable):
    """An immutable SQL statement under construction, rendered by :meth:`build`.

    Args:
        table: The table (``"users"``, ``"public.users"``) or an aliased
            subquery (``other.subquery("t")``) the statement works on.
        dialect: ``"postgresql"``, ``"mysql"``, ``"mariadb"`` or ``"sqlite"``.
        server_version: Server version the forms are chosen for, e.g.
            ``(8, 0, 32)``; ``None`` assumes a current server.
        alias: Optional alias of ``table``.

    Attributes:
        dialect: The driver family the statement is for: ``"postgresql"``,
            ``"mysql"`` or ``"sqlite"``. A MariaDB builder reports ``"mysql"``
            (same driver, placeholders and quoting); its MariaDB-specific forms
            are chosen by :attr:`sql_dialect`.
        sql_dialect: The full :class:`~paca.sql.Dialect` (name, version, features).
    """

    dialect: Family
    sql_dialect: Dialect
    _kind: str
    _table: str | Subquery
    _alias: str | None
    _columns: tuple[Node, ...]
    _distinct: bool
    _joins: tuple[Join, ...]
    _where: tuple[Expr, ...]
    _group: tuple[Expr, ...]
    _having: tuple[Expr, ...]
    _order: tuple[Ordering, ...]
    _limit: int | None
    _offset: int | None
    _ctes: tuple[tuple[str, QueryBuilder, tuple[str, ...], bool], ...]
    _compound: tuple[tuple[str, QueryBuilder], ...]
    _insert_cols: tuple[str, ...]
    _rows: tuple[tuple[Expr, ...], ...]
    _insert_query: QueryBuilder | None
    _set: tuple[tuple[str, Expr], ...]
    _conflict: Conflict | None
    _returning: tuple[Node, ...]

    def __init__(
        self,
        table: str | Subquery,
        *,
        dialect: str,
        server_version: tuple[int, ...] | None = None,
        alias: str | None = None,
    ) -> None:
        sql_dialect = get_dialect(dialect, server_version)
        if isinstance(table, str):
            split_name(table)
        elif not isinstance(table, Subquery):
            raise TypeError("table must be a name or QueryBuilder.subquery(alias)")
        if alias is not None:
            check_alias(alias)
        self.__dict__.update(
            dialect=sql_dialect.family, sql_dialect=sql_dialect, _kind="select", _table=table,
            _alias=alias, _columns=(), _distinct=False, _joins=(), _where=(), _group=(),
            _having=(), _order=(), _limit=None, _offset=None, _ctes=(), _compound=(),
            _insert_cols=(), _rows=(), _insert_query=None, _set=(), _conflict=None,
            _returning=(),
        )  # fmt: skip

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("QueryBuilder is immutable: its methods return a new builder")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("QueryBuilder is immutable")

    def _with(self, **changes: Any) -> QueryBuilder:
        new = object.__new__(QueryBuilder)
        state = self.__dict__.copy()
        state.update(changes)
        object.__setattr__(new, "__dict__", state)
        return new

    def __repr__(self) -> str:
        return f"<QueryBuilder {self._kind} {self._table!r} dialect={self.sql_dialect.label!r}>"

    # -- SELECT ---------------------------------------------------------------------------

    def select(self, *columns: str | Node) -> QueryBuilder:
        """Set the select list: names (``"id"``, ``"u.name"``, ``"*"``), expressions, aliases.

        Without columns the statement selects ``*``.
        """
        return self._with(_kind="select", _columns=tuple(selected(c) for c in columns))

    def distinct(self, enabled: bool = True) -> QueryBuilder:
        """``SELECT DISTINCT``."""
        return self._with(_distinct=bool(enabled))

    def join(
        self,
        table: str | Subquery,
        on: Expr | None = None,
        *,
        alias: str | None = None,
        kind: str = "inner",
    ) -> QueryBuilder:
        """Add a join; ``kind`` is ``"inner"``, ``"left"``, ``"right"``, ``"full"`` or ``"cross"``.

        Args:
            table: Table name or aliased subquery.
            on: The join condition (required except for cross joins).
            alias: Alias of ``table``.
            kind: Join kind. FULL joins raise ``UnsupportedFeature`` on MySQL/MariaDB.
        """
        word = kind.upper()
        if word not in ("INNER", "LEFT", "RIGHT", "FULL", "CROSS"):
            raise ValueError(f"unknown join kind {kind!r}")
        if (on is None) != (word == "CROSS"):
            raise ValueError("a CROSS join takes no condition; every other join needs on=")
        if isinstance(table, str):
            split_name(table)
        if alias is not None:
            check_alias(alias)
        return self._with(_joins=(*self._joins, Join(word, table, alias, on)))

    def inner_join(
        self, table: str | Subquery, on: Expr, *, alias: str | None = None
    ) -> QueryBuilder:
        """``INNER JOIN table ON on``."""
        return self.join(table, on, alias=alias)

    def left_join(
        self, table: str | Subquery, on: Expr, *, alias: str | None = None
    ) -> QueryBuilder:
        """``LEFT JOIN table ON on``."""
        return self.join(table, on, alias=alias, kind="left")

    def right_join(
        self, table: str | Subquery, on: Expr, *, alias: str | None = None
    ) -> QueryBuilder:
        """``RIGHT JOIN table ON on``."""
        return self.join(table, on, alias=alias, kind="right")

    def full_join(
        self, table: str | Subquery, on: Expr, *, alias: str | None = None
    ) -> QueryBuilder:
        """``FULL JOIN table ON on`` (unsupported on MySQL/MariaDB)."""
        return self.join(table, on, alias=alias, kind="full")

    def cross_join(self, table: str | Subquery, *, alias: str | None = None) -> QueryBuilder:
        """``CROSS JOIN table``."""
        return self.join(table, alias=alias, kind="cross")

    def where(self, *conditions: Expr, **equals: object) -> QueryBuilder:
        """Add conditions, all of which must hold (AND), to earlier ones.

        Args:
            *conditions: Predicates such as ``col("age") > 18``.
            **equals: Shorthand for ``col(name) == value`` (``None`` means IS NULL).
        """
        extra = [coerce(c) for c in conditions]
        extra += [Column(name) == value for name, value in equals.items()]
        return self._with(_where=self._where + tuple(extra))

    def group_by(self, *items: str | Expr) -> QueryBuilder:
        """Add GROUP BY items (names or expressions)."""
        return self._with(_group=self._group + tuple(_expr(i) for i in items))

    def having(self, *conditions: Expr) -> QueryBuilder:
        """Add HAVING conditions (AND)."""
        return self._with(_having=self._having + tuple(coerce(c) for c in conditions))

    def order_by(self, *items: str | Expr | Ordering) -> QueryBuilder:
        """Add ORDER BY items: names, expressions (ascending) or ``col("x").desc(nulls="last")``."""
        return self._with(_order=self._order + tuple(_ordering(i) for i in items))

    def limit(self, count: int | None) -> QueryBuilder:
        """Set LIMIT (a bound parameter); ``None`` removes it."""
        return self._with(_limit=_count(count, "limit"))

    def offset(self, count: int | None) -> QueryBuilder:
        """Set OFFSET (a bound parameter); ``None`` removes it."""
        return self._with(_offset=_count(count, "offset"))

    def after(self, cursor: Mapping[str, object], *, descending: bool = False) -> QueryBuilder:
        """Keyset pagination: the rows that sort after ``cursor``, ordered by its keys.

        ``.after({"created": t, "id": 10})`` adds
        ``created > t OR (created = t AND id > 10)`` and ``ORDER BY created, id``
        (``<`` and DESC with ``descending=True``). Pass the keys of the last row
        of the previous page, last key unique; the first page is the same query
        with ``.order_by(...)`` on the same keys instead.

        Raises:
            ValueError: an empty cursor or a ``None`` value (NULLs have no position).
        """
        if not cursor:
            raise ValueError("after() needs at least one key")
        keys = [Column(name) for name in cursor]
        values = list(cursor.values())
        if any(v is None for v in values):
            raise ValueError("after() cursor values cannot be None")
        branches = []
        for i, key in enumerate(keys):
            step = key < values[i] if descending else key > values[i]
            branches.append(and_(*[keys[j] == values[j] for j in range(i)], step))
        order = tuple(k.desc() if descending else k.asc() for k in keys)
        return self._with(_where=(*self._where, or_(*branches)), _order=self._order + order)

    def with_(
        self,
        name: str,
        query: QueryBuilder,
        *,
        columns: Sequence[str] = (),
        recursive: bool = False,
    ) -> QueryBuilder:
        """Add a common table expression ``WITH name [(columns)] AS (query)``.

        Args:
            name: CTE name, then usable as a table name.
            query: Its SELECT (``base.union_all(step)`` for a recursive CTE).
            columns: Optional column names.
            recursive: Render ``WITH RECURSIVE`` (a flag for the whole WITH clause).
        """
        check_alias(name)
        for c in columns:
            check_alias(c)
        if not isinstance(query, QueryBuilder):
            raise TypeError("with_() takes a QueryBuilder")
        cte = (name, query, tuple(columns), recursive)
        return self._with(_ctes=(*self._ctes, cte))

    def union(self, other: QueryBuilder) -> QueryBuilder:
        """``this UNION other`` (duplicates removed); ORDER BY/LIMIT apply to the whole."""
        return self._with(_compound=(*self._compound, (" UNION ", other)))

    def union_all(self, other: QueryBuilder) -> QueryBuilder:
        """``this UNION ALL other``."""
        return self._with(_compound=(*self._compound, (" UNION ALL ", other)))

    def subquery(self, alias: str) -> Subquery:
        """Use this SELECT as a table: ``QueryBuilder(q.subquery("t"), dialect=...)``, joins."""
        return Subquery(self, check_alias(alias))

    # -- rendering ------------------------------------------------------------------------

    def _render_query(self, r: Renderer) -> str:
        if self._kind != "select":
            raise ValueError(f"a {self._kind.upper()} cannot be used as a subquery")
        return render_select(r, self)

    def build(self) -> tuple[str, list[Any]]:
        """Render the statement for its dialect.

        Returns:
            ``(sql, params)``: the SQL with the driver's native placeholders
            (``$1`` PostgreSQL, ``%s`` MySQL/MariaDB, with literal ``%`` doubled,
            ``?`` SQLite) and the parameter values in order.

        Raises:
            UnsupportedFeature: a form the dialect (or server version) lacks.
            InvalidIdentifier: an identifier the dialect cannot take.
            ValueError: an inconsistent statement (e.g. ORDER BY in an INSERT).
        """
        r = Renderer(self.sql_dialect)
        kind = self._kind
        if kind == "select" and self._returning:
            raise ValueError("RETURNING belongs to INSERT, UPDATE or DELETE")
        if kind != "insert" and self._conflict is not None:
            raise ValueError("on_conflict_*() belongs to an INSERT")
        sql = render_delete(r, self) if kind == "delete" else _RENDER[kind](r, self)
        return sql, r.params
