"""INSERT (single, multi-row, from SELECT, upsert), UPDATE and DELETE.

The builder's methods for them (:class:`WriteClauses`, a base of ``QueryBuilder``)
and their rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from paca.sql._builder_select import (
    render_from,
    render_tail,
    render_where,
    render_with,
    returning_list,
    selected,
)
from paca.sql._expressions import coerce
from paca.sql._functions import excluded, raw
from paca.sql._identifiers import check_alias

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from paca.sql._builder import QueryBuilder
    from paca.sql._dialect import Renderer
    from paca.sql._expressions import Expr, Node

__all__ = ["Conflict", "WriteClauses", "render_delete", "render_insert", "render_update"]


class Conflict:
    """The ON CONFLICT / ON DUPLICATE KEY part of an INSERT."""

    __slots__ = ("target", "update")

    def __init__(
        self, target: tuple[str, ...], update: tuple[tuple[str, Expr], ...] | None
    ) -> None:
        self.target = target
        self.update = update  # None: do nothing


class WriteClauses:
    """The INSERT, UPDATE, DELETE and upsert methods of :class:`~paca.sql.QueryBuilder`."""

    __slots__ = ()
    _kind: str
    _returning: tuple[Node, ...]

    if TYPE_CHECKING:  # provided by QueryBuilder, the only class using this mixin

        def _with(self, **changes: Any) -> QueryBuilder: ...

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
        if not isinstance(query, WriteClauses) or query._kind != "select":
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
        return self._with(_returning=self._returning + tuple(selected(c) for c in columns))


def _reject(q: QueryBuilder, statement: str, *, where: bool = True) -> None:
    if q._joins:
        raise ValueError(f"{statement} cannot have joins; use a subquery in WHERE")
    if q._columns or q._distinct or q._group or q._having or q._compound:
        raise ValueError(f"{statement} cannot have a select list, GROUP BY, HAVING or UNION")
    if not where and q._where:
        raise ValueError(f"{statement} cannot have a WHERE clause")


def _returning(r: Renderer, q: QueryBuilder, available: bool, statement: str) -> str:
    if not q._returning:
        return ""
    r.dialect.require(available, f"{statement} ... RETURNING")
    return returning_list(r, q._returning)


def _write_tail(r: Renderer, q: QueryBuilder, statement: str) -> str:
    if not (q._order or q._limit is not None or q._offset is not None):
        return ""
    if q._offset is not None:
        raise ValueError(f"{statement} cannot have an OFFSET")
    r.dialect.require(r.family == "mysql", f"{statement} ... ORDER BY/LIMIT")
    return render_tail(r, q)


def _conflict_sql(
    r: Renderer, q: QueryBuilder, conflict: Conflict, columns: tuple[str, ...]
) -> str:
    dialect = r.dialect
    if r.family == "mysql":
        # The conflict target is not needed: MySQL checks every unique key.
        if conflict.update is None:  # DO NOTHING: a no-op assignment keeps the row
            keep = r.alias((conflict.target or columns)[0])
            return f" ON DUPLICATE KEY UPDATE {keep} = {keep}"
        alias = dialect.upsert_row_alias and q._insert_query is None
        r.excluded = "alias" if alias else "values"
        sql = " AS `new`" if alias else ""
        sets = ", ".join([r.alias(c) + " = " + v._sql(r) for c, v in conflict.update])
        r.excluded = None
        return sql + " ON DUPLICATE KEY UPDATE " + sets
    dialect.require(dialect.upsert, "INSERT ... ON CONFLICT")
    target = (
        " (" + ", ".join([r.alias(c) for c in conflict.target]) + ")" if conflict.target else ""
    )
    if conflict.update is None:
        return " ON CONFLICT" + target + " DO NOTHING"
    if not target:
        raise ValueError("on_conflict_do_update() needs the conflict columns on this dialect")
    r.excluded = "excluded"
    sets = ", ".join([r.alias(c) + " = " + v._sql(r) for c, v in conflict.update])
    r.excluded = None
    return " ON CONFLICT" + target + " DO UPDATE SET " + sets


def render_insert(r: Renderer, q: QueryBuilder) -> str:
    """Render INSERT ... VALUES / SELECT, with the upsert and RETURNING parts."""
    _reject(q, "INSERT", where=False)
    if q._ctes:
        raise ValueError("attach WITH to the SELECT given to insert_from(), not to the INSERT")
    if q._order or q._limit is not None or q._offset is not None:
        raise ValueError("INSERT cannot have ORDER BY, LIMIT or OFFSET")
    if not isinstance(q._table, str):
        raise TypeError("INSERT needs a table name, not a subquery")
    sql = "INSERT INTO " + render_from(r, q._table, None)
    columns = q._insert_cols
    query = q._insert_query
    conflict = q._conflict
    head = " (" + ", ".join([r.alias(c) for c in columns]) + ")" if columns else ""
    if query is not None:
        if conflict is not None and r.family == "sqlite" and not query._where:
            query = query.where(raw("1"))  # SQLite's parsing ambiguity of INSERT ... SELECT ... ON
        sql += head + " " + query._render_query(r)
    elif not columns:
        sql += " () VALUES ()" if r.family == "mysql" else " DEFAULT VALUES"
    else:
        rows = ["(" + ", ".join([value._sql(r) for value in row]) + ")" for row in q._rows]
        sql += head + " VALUES " + ", ".join(rows)
    if conflict is not None:
        sql += _conflict_sql(r, q, conflict, columns)
    return sql + _returning(r, q, r.dialect.returning_insert, "INSERT")


def render_update(r: Renderer, q: QueryBuilder) -> str:
    """Render UPDATE ... SET ... WHERE ... [RETURNING]."""
    _reject(q, "UPDATE")
    if not q._set:
        raise ValueError("update() needs at least one column to set")
    if not isinstance(q._table, str):
        raise TypeError("UPDATE needs a table name, not a subquery")
    sets = ", ".join([r.alias(c) + " = " + v._sql(r) for c, v in q._set])
    sql = render_with(r, q) + "UPDATE " + render_from(r, q._table, q._alias) + " SET " + sets  # noqa: S608
    sql += render_where(r, q._where) + _write_tail(r, q, "UPDATE")
    return sql + _returning(r, q, r.dialect.returning_update, "UPDATE")


def render_delete(r: Renderer, q: QueryBuilder) -> str:
    """Render DELETE FROM ... WHERE ... [RETURNING]."""
    _reject(q, "DELETE")
    if not isinstance(q._table, str):
        raise TypeError("DELETE needs a table name, not a subquery")
    sql = render_with(r, q) + "DELETE FROM " + render_from(r, q._table, q._alias)  # noqa: S608
    sql += render_where(r, q._where) + _write_tail(r, q, "DELETE")
    return sql + _returning(r, q, r.dialect.returning_delete, "DELETE")
