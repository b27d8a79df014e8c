"""The expression tree of the query builder: columns, values, operators, raw SQL.

``col("age") > 18`` builds a node; nothing is rendered until ``build()``. Python
values on the right of an operator (or in ``in_``, ``between``, ``like``...) are
always bound parameters, never SQL text; a column on the right is written
``col("other")``. The only way to put SQL text in a statement is :func:`raw`.

Combine predicates with ``&`` (AND), ``|`` (OR) and ``~`` (NOT); Python's
``and``/``or``/``not`` and chained comparisons raise :class:`TypeError` rather than
silently dropping a condition. ``col("x") == None`` renders ``"x" IS NULL``.

This module holds the node protocol, :class:`Expr` and its leaves (columns,
parameters, subqueries) and the clause items (aliases, orderings); the operator
nodes are in :mod:`paca.sql._operators`, raw SQL and functions in
:mod:`paca.sql._functions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from paca.sql._identifiers import split_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from paca.sql._dialect import Renderer

__all__ = [
    "Aliased",
    "Column",
    "Expr",
    "Node",
    "Ordering",
    "Param",
    "ScalarSubquery",
    "wrap",
    "RAW",
    "Selectable",
    "and_",
    "coerce",
    "col",
    "escape_like",
    "not_",
    "or_",
]

ATOM = 100
# Operator precedence, tightest first (ATOM: never parenthesized).
MUL: int = 60
ADD: int = 50
CMP: int = 40
NOT: int = 30
AND: int = 20
OR: int = 10
RAW: int = 0
LIKE_ESCAPE = "!"
Nulls = Literal["first", "last"] | None


class Selectable:
    """A statement usable as a subquery (:class:`~paca.sql.QueryBuilder`)."""

    __slots__ = ()

    def _render_query(self, r: Renderer) -> str:  # pragma: no cover - every subclass renders
        msg = f"{type(self).__name__} must define _render_query (the base only names it)"
        raise NotImplementedError(msg)


class Node:
    """Anything that renders to SQL text with bound parameters."""

    __slots__ = ()
    _prec: ClassVar[int] = ATOM

    def _sql(self, r: Renderer) -> str:  # pragma: no cover - every subclass renders
        msg = f"{type(self).__name__} must define _sql (the base only names it)"
        raise NotImplementedError(msg)


def coerce(value: object) -> Expr:
    """Turn ``value`` into an expression: nodes pass, queries become subqueries, values bind."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, Node):
        raise TypeError(f"{type(value).__name__} cannot be used as a value")
    if isinstance(value, Selectable):
        return ScalarSubquery(value)
    return Param(value)


def wrap(r: Renderer, node: Node, prec: int) -> str:
    sql = node._sql(r)
    return sql if node._prec > prec else f"({sql})"


class Expr(Node):
    """A SQL value expression; operators build new expressions."""

    __slots__ = ()

    def __bool__(self) -> bool:
        raise TypeError("SQL expressions have no truth value: use & | ~ instead of and/or/not")

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return IsNull(self, negated=False) if other is None else Compare(self, "=", other)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return IsNull(self, negated=True) if other is None else Compare(self, "<>", other)

    __hash__ = None  # type: ignore[assignment]

    def __lt__(self, other: object) -> Expr:
        return Compare(self, "<", other)

    def __le__(self, other: object) -> Expr:
        return Compare(self, "<=", other)

    def __gt__(self, other: object) -> Expr:
        return Compare(self, ">", other)

    def __ge__(self, other: object) -> Expr:
        return Compare(self, ">=", other)

    def __add__(self, other: object) -> Expr:
        return Add(self, "+", other)

    def __sub__(self, other: object) -> Expr:
        return Add(self, "-", other)

    def __mul__(self, other: object) -> Expr:
        return Mul(self, "*", other)

    def __truediv__(self, other: object) -> Expr:
        return Mul(self, "/", other)

    def __radd__(self, other: object) -> Expr:
        return Add(coerce(other), "+", self)

    def __rsub__(self, other: object) -> Expr:
        return Add(coerce(other), "-", self)

    def __rmul__(self, other: object) -> Expr:
        return Mul(coerce(other), "*", self)

    def __and__(self, other: Expr) -> Expr:
        return and_(self, other)

    def __or__(self, other: Expr) -> Expr:
        return or_(self, other)

    def __invert__(self) -> Expr:
        return not_(self)

    def is_null(self) -> Expr:
        """``expr IS NULL``."""
        return IsNull(self, negated=False)

    def is_not_null(self) -> Expr:
        """``expr IS NOT NULL``."""
        return IsNull(self, negated=True)

    def in_(self, values: Iterable[object] | Selectable) -> Expr:
        """``expr IN (...)`` over values (each bound) or a subquery.

        An empty list renders the always-false predicate ``1 = 0``.
        """
        return In(self, values, negated=False)

    def not_in(self, values: Iterable[object] | Selectable) -> Expr:
        """``expr NOT IN (...)``; an empty list renders the always-true ``1 = 1``."""
        return In(self, values, negated=True)

    def between(self, low: object, high: object) -> Expr:
        """``expr BETWEEN low AND high`` (both bound)."""
        return Between(self, coerce(low), coerce(high), negated=False)

    def not_between(self, low: object, high: object) -> Expr:
        """``expr NOT BETWEEN low AND high``."""
        return Between(self, coerce(low), coerce(high), negated=True)

    def like(self, pattern: object) -> Expr:
        """``expr LIKE pattern``: ``%`` and ``_`` in ``pattern`` are wildcards.

        Case sensitivity follows the database (SQLite and most MySQL collations
        ignore ASCII case; PostgreSQL does not).
        """
        return Like(self, coerce(pattern), negated=False, escape=False)

    def not_like(self, pattern: object) -> Expr:
        """``expr NOT LIKE pattern``."""
        return Like(self, coerce(pattern), negated=True, escape=False)

    def startswith(self, prefix: str) -> Expr:
        """Match values starting with the literal ``prefix`` (its ``%``/``_`` are escaped)."""
        return Like(self, Param(escape_like(prefix) + "%"), negated=False, escape=True)

    def endswith(self, suffix: str) -> Expr:
        """Match values ending with the literal ``suffix``."""
        return Like(self, Param("%" + escape_like(suffix)), negated=False, escape=True)

    def contains(self, fragment: str) -> Expr:
        """Match values containing the literal ``fragment``."""
        return Like(self, Param("%" + escape_like(fragment) + "%"), negated=False, escape=True)

    def as_(self, alias: str) -> Aliased:
        """Name this expression in a select list: ``expr AS "alias"``."""
        return Aliased(self, alias)

    def asc(self, nulls: Nulls = None) -> Ordering:
        """Ascending order; ``nulls="first"``/``"last"`` places NULLs (emulated on MySQL)."""
        return Ordering(self, descending=False, nulls=nulls)

    def desc(self, nulls: Nulls = None) -> Ordering:
        """Descending order; ``nulls="first"``/``"last"`` places NULLs (emulated on MySQL)."""
        return Ordering(self, descending=True, nulls=nulls)


def escape_like(text: str) -> str:
    """Escape ``text`` for use inside a LIKE pattern with ``ESCAPE '!'``.

    Args:
        text: Literal text whose ``%``, ``_`` and ``!`` must match themselves.

    Returns:
        The escaped text.
    """
    if not isinstance(text, str):
        raise TypeError(f"LIKE helpers take a str, not {type(text).__name__}")
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


class Column(Expr):
    """A column reference (``"name"``, ``"t"."name"``, ``*`` or ``"t".*``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if name != "*":  # fail early on bad names
            split_name(name[:-2] if isinstance(name, str) and name.endswith(".*") else name)
        self.name = name

    def _sql(self, r: Renderer) -> str:
        name = self.name
        if name == "*":
            return "*"
        if name.endswith(".*"):
            return r.ident(name[:-2]) + ".*"
        return r.ident(name)


def col(name: str) -> Column:
    """Reference a column by name: ``col("age")``, ``col("u.id")``, ``col("*")``.

    Args:
        name: Column name, optionally qualified by table (and schema) with dots.

    Returns:
        A column expression; the name is quoted for the dialect at build time.
    """
    return Column(name)


class Param(Expr):
    """A bound parameter holding one Python value."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def _sql(self, r: Renderer) -> str:
        return r.bind(self.value)


class ScalarSubquery(Expr):
    __slots__ = ("query",)

    def __init__(self, query: Selectable) -> None:
        self.query = query

    def _sql(self, r: Renderer) -> str:
        return "(" + self.query._render_query(r) + ")"


class Aliased(Node):
    """``expr AS "alias"`` in a select or RETURNING list."""

    __slots__ = ("alias", "expr")

    def __init__(self, expr: Expr, alias: str) -> None:
        split_name(alias)
        self.expr = expr
        self.alias = alias

    def _sql(self, r: Renderer) -> str:
        return self.expr._sql(r) + " AS " + r.alias(self.alias)


class Ordering(Node):
    """One ORDER BY item: an expression, a direction and where NULLs go."""

    __slots__ = ("descending", "expr", "nulls")

    def __init__(self, expr: Expr, *, descending: bool, nulls: Nulls) -> None:
        if nulls not in (None, "first", "last"):
            raise ValueError(f"nulls must be 'first', 'last' or None, not {nulls!r}")
        self.expr, self.descending, self.nulls = expr, descending, nulls

    def _sql(self, r: Renderer) -> str:
        expr = self.expr
        direction = " DESC" if self.descending else " ASC"
        if self.nulls is None:
            return expr._sql(r) + direction
        if r.dialect.native_nulls_order:
            return (
                expr._sql(r)
                + direction
                + (" NULLS FIRST" if self.nulls == "first" else " NULLS LAST")
            )
        # Emulation: sort on "x IS NULL" first (false < true puts NULLs last).
        key = wrap(r, expr, CMP) + (" IS NOT NULL" if self.nulls == "first" else " IS NULL")
        return key + ", " + expr._sql(r) + direction


# The operator nodes subclass Expr, whose methods build them: imported last, once Expr exists.
# (Importing paca.sql runs this module before anything imports paca.sql._operators.)
from paca.sql._operators import (  # noqa: E402
    Add,
    Between,
    Compare,
    In,
    IsNull,
    Like,
    Mul,
    and_,
    not_,
    or_,
)
