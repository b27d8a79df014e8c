"""Rendering of SELECT statements (and the parts UPDATE/DELETE share with them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.sql._expressions import Aliased, Column, Expr, Node, Selectable, and_, coerce

if TYPE_CHECKING:
    from paca.sql._builder import QueryBuilder
    from paca.sql._dialect import Renderer
    from paca.sql._expressions import Ordering

__all__ = [
    "Join",
    "Subquery",
    "render_from",
    "render_select",
    "render_tail",
    "render_with",
    "selected",
]

# The largest LIMIT each family accepts, for an OFFSET without a LIMIT.
_NO_LIMIT = {"mysql": "18446744073709551615", "sqlite": "-1"}


def selected(item: str | Node) -> Node:
    """A select-list (or RETURNING) item: a name becomes a column, values are bound."""
    if isinstance(item, str):
        return Column(item)
    if isinstance(item, (Expr, Aliased)):
        return item
    return coerce(item)


class Subquery:
    """A SELECT used as a table: ``FROM (SELECT ...) AS "alias"`` (``QueryBuilder.subquery``)."""

    __slots__ = ("alias", "query")

    def __init__(self, query: Selectable, alias: str) -> None:
        self.query = query
        self.alias = alias

    def __repr__(self) -> str:
        return f"Subquery({self.query!r}, alias={self.alias!r})"


class Join:
    """One JOIN clause (kept by the builder, rendered here)."""

    __slots__ = ("alias", "kind", "on", "target")

    def __init__(
        self, kind: str, target: str | Subquery, alias: str | None, on: Expr | None
    ) -> None:
        self.kind = kind
        self.target = target
        self.alias = alias
        self.on = on


def render_from(r: Renderer, target: str | Subquery, alias: str | None) -> str:
    """Render a table name (with optional alias) or an aliased subquery."""
    if isinstance(target, Subquery):
        return "(" + target.query._render_query(r) + ") AS " + r.alias(target.alias)
    if alias is None:
        return r.ident(target)
    return r.ident(target) + " AS " + r.alias(alias)


def render_with(r: Renderer, q: QueryBuilder) -> str:
    """Render the WITH clause of ``q`` (empty when it has none)."""
    if not q._ctes:
        return ""
    r.dialect.require(r.dialect.ctes, "WITH (common table expressions)")
    recursive = any(cte[3] for cte in q._ctes)
    parts = []
    for name, query, columns, _ in q._ctes:
        head = r.alias(name)
        if columns:
            head += " (" + ", ".join([r.alias(c) for c in columns]) + ")"
        parts.append(head + " AS (" + query._render_query(r) + ")")
    return ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(parts) + " "


def render_where(r: Renderer, conditions: tuple[Expr, ...], word: str = " WHERE ") -> str:
    """Render ``WHERE a AND b`` (or HAVING), empty without conditions."""
    if not conditions:
        return ""
    if len(conditions) == 1:
        return word + conditions[0]._sql(r)
    return word + and_(*conditions)._sql(r)


def render_order(r: Renderer, order: tuple[Ordering, ...]) -> str:
    """Render ORDER BY, empty without items."""
    if not order:
        return ""
    return " ORDER BY " + ", ".join([item._sql(r) for item in order])


def render_tail(r: Renderer, q: QueryBuilder) -> str:
    """Render ORDER BY, LIMIT and OFFSET (LIMIT and OFFSET are bound parameters)."""
    sql = render_order(r, q._order)
    limit, offset = q._limit, q._offset
    if limit is not None:
        sql += " LIMIT " + r.bind(limit)
    elif offset is not None and r.family in _NO_LIMIT:
        sql += " LIMIT " + _NO_LIMIT[r.family]
    if offset is not None:
        sql += " OFFSET " + r.bind(offset)
    return sql


def _render_join(r: Renderer, join: Join) -> str:
    dialect = r.dialect
    if join.kind == "RIGHT":
        dialect.require(dialect.right_join, "RIGHT JOIN")
    elif join.kind == "FULL":
        dialect.require(dialect.full_join, "FULL JOIN")
    sql = " " + join.kind + " JOIN " + render_from(r, join.target, join.alias)
    if join.on is not None:
        sql += " ON " + join.on._sql(r)
    return sql


def render_core(r: Renderer, q: QueryBuilder) -> str:
    """Render one SELECT without WITH, compound parts or ordering."""
    columns = q._columns
    select = "SELECT DISTINCT " if q._distinct else "SELECT "
    if columns:
        select += ", ".join([c._sql(r) for c in columns])
    else:
        select += "*"
    # S608: identifiers are validated and quoted, values are bound parameters.
    sql = select + " FROM " + render_from(r, q._table, q._alias)  # noqa: S608
    for join in q._joins:
        sql += _render_join(r, join)
    sql += render_where(r, q._where)
    if q._group:
        sql += " GROUP BY " + ", ".join([g._sql(r) for g in q._group])
    return sql + render_where(r, q._having, " HAVING ")


def render_select(r: Renderer, q: QueryBuilder) -> str:
    """Render a complete SELECT: WITH, the core, UNION parts, ORDER BY, LIMIT, OFFSET."""
    sql = render_with(r, q) + render_core(r, q)
    for word, other in q._compound:
        if other._kind != "select":
            raise ValueError("UNION members must be SELECT statements")
        if other._order or other._limit is not None or other._offset is not None:
            raise ValueError("a UNION member cannot have its own ORDER BY, LIMIT or OFFSET")
        if other._ctes or other._compound:
            raise ValueError("a UNION member cannot carry WITH or UNION parts; nest a subquery")
        sql += word + render_core(r, other)
    return sql + render_tail(r, q)


def returning_list(r: Renderer, items: tuple[Node, ...]) -> str:
    """Render `` RETURNING a, b`` (after the caller checked the dialect)."""
    return " RETURNING " + ", ".join([item._sql(r) for item in items])
