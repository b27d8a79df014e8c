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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from paca.sql._builder_select import Join, Subquery, render_select
from paca.sql._builder_write import Conflict, render_delete, render_insert, render_update
from paca.sql._dialect import Dialect, Family, Renderer, get_dialect
from paca.sql._expressions import (
    Aliased,
    Column,
    Expr,
    Node,
    Ordering,
    Selectable,
    and_,
    coerce,
    or_,
)
from paca.sql._functions import excluded
from paca.sql._identifiers import check_alias, split_name

__all__ = ["QueryBuilder"]

_RENDER = {"select": render_select, "insert": render_insert, "update": render_update}


def _expr(item: str | Expr) -> Expr:
    return Column(item) if isinstance(item, str) else coerce(item)


def _selected(item: str | Node) -> Node:
    if isinstance(item, str):
        return Column(item)
    if isinstance(item, (Expr, Aliased)):
        return item
    return coerce(item)


def _ordering(item: str | Expr | Ordering) -> Ordering:
    if isinstance(item, Ordering):
        return item
    return _expr(item).asc()


def _count(value: int | None, what: str) -> int | None:
    if value is not None and (type(value) is not int or value < 0):
        raise ValueError(f"{what} must be a non-negative int or None, not {value!r}")
    return value


class QueryBuilder(Selectable):
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
        return self._with(_kind="select", _columns=tuple(_selected(c) for c in columns))

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

    # -- INSERT / UPDATE / DELETE -----------------------------------------------------------

    def insert(self, values: Mapping[str, object] | Sequence[Mapping[str, object]]) -> QueryBuilder:
        """Make this an INSERT of one row (a mapping) or several (a sequence of mappings).

        Every row must have the same columns; values may be expressions (``raw("now()")``).
        An empty mapping inserts a row of defaults.
        """
        rows = [values] if isinstance(values, Mapping) else list(values)
        if not rows:
            raise ValueError("insert() needs at least one row")
        columns = tuple(rows[0])
        for c in columns:
            check_alias(c)
        for row in rows:
            if not isinstance(row, Mapping) or tuple(row) != columns:
                raise ValueError("every inserted row must have the same columns, in the same order")
        if not columns and len(rows) > 1:
            raise ValueError("only one row of defaults can be inserted at a time")
        data = tuple(tuple(coerce(row[c]) for c in columns) for row in rows)
        return self._with(_kind="insert", _insert_cols=columns, _rows=data, _insert_query=None)

    def insert_from(self, query: QueryBuilder, columns: Sequence[str] = ()) -> QueryBuilder:
        """Make this ``INSERT INTO table [(columns)] SELECT ...``."""
        if not isinstance(query, QueryBuilder) or query._kind != "select":
            raise TypeError("insert_from() takes a SELECT QueryBuilder")
        for c in columns:
            check_alias(c)
        return self._with(
            _kind="insert", _insert_cols=tuple(columns), _rows=(), _insert_query=query
        )

    def update(self, values: Mapping[str, object]) -> QueryBuilder:
        """Make this an UPDATE setting ``values`` (bound, or expressions: ``col("n") + 1``)."""
        for c in values:
            check_alias(c)
        return self._with(_kind="update", _set=tuple((c, coerce(v)) for c, v in values.items()))

    def delete(self) -> QueryBuilder:
        """Make this a DELETE (of the rows matching ``where``)."""
        return self._with(_kind="delete")

    def on_conflict_do_update(
        self, conflict: Sequence[str], update: Iterable[str] | Mapping[str, object]
    ) -> QueryBuilder:
        """Upsert: on a duplicate key, update the existing row.

        PostgreSQL/SQLite: ``ON CONFLICT (conflict) DO UPDATE SET ...``; MySQL/MariaDB:
        ``ON DUPLICATE KEY UPDATE ...``, where the server checks every unique key
        (``conflict`` is not written there).

        Args:
            conflict: The columns of the unique key that may conflict.
            update: Column names set to the proposed values, or a mapping
                ``{column: value or expression}``; :func:`~paca.sql.excluded`
                refers to a proposed value.
        """
        for c in conflict:
            check_alias(c)
        if isinstance(update, Mapping):
            pairs = tuple((check_alias(c), coerce(v)) for c, v in update.items())
        else:
            pairs = tuple((check_alias(c), excluded(c)) for c in update)
        if not pairs:
            raise ValueError("on_conflict_do_update() needs at least one column to update")
        return self._with(_conflict=Conflict(tuple(conflict), pairs))

    def on_conflict_do_nothing(self, conflict: Sequence[str] = ()) -> QueryBuilder:
        """Upsert: on a duplicate key, keep the existing row.

        MySQL/MariaDB render a no-op ``ON DUPLICATE KEY UPDATE c = c`` (not
        ``INSERT IGNORE``, which would also hide other errors).
        """
        for c in conflict:
            check_alias(c)
        return self._with(_conflict=Conflict(tuple(conflict), None))

    def returning(self, *columns: str | Node) -> QueryBuilder:
        """Add ``RETURNING columns`` (``UnsupportedFeature`` where the dialect lacks it)."""
        return self._with(_returning=self._returning + tuple(_selected(c) for c in columns))

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
