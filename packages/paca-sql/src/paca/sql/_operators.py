"""The operator nodes of the expression tree.

Comparisons, arithmetic, AND/OR/NOT, IS NULL, IN, BETWEEN and LIKE.
:class:`~paca.sql._expressions.Expr`'s operators and methods build them; each renders
its operands through ``wrap``, which parenthesizes by precedence only where needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from paca.sql._expressions import (
    ADD,
    AND,
    CMP,
    LIKE_ESCAPE,
    MUL,
    NOT,
    OR,
    RAW,
    Expr,
    Selectable,
    coerce,
    wrap,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from paca.sql._dialect import Renderer

__all__ = [
    "Add",
    "Between",
    "Binary",
    "Compare",
    "In",
    "IsNull",
    "Like",
    "Mul",
    "and_",
    "not_",
    "or_",
]


class Binary(Expr):
    __slots__ = ("left", "op", "right")

    def __init__(self, left: Expr, op: str, right: object) -> None:
        self.left = left
        self.op = op
        self.right = coerce(right)

    def _sql(self, r: Renderer) -> str:
        prec = self._prec
        return f"{wrap(r, self.left, prec)} {self.op} {wrap(r, self.right, prec)}"


class Compare(Binary):
    __slots__ = ()
    _prec = CMP


class Add(Binary):
    __slots__ = ()
    _prec = ADD


class Mul(Binary):
    __slots__ = ()
    _prec = MUL


class Junction(Expr):
    __slots__ = ("items",)
    word: ClassVar[str] = ""

    def __init__(self, items: tuple[Expr, ...]) -> None:
        self.items = items

    def _sql(self, r: Renderer) -> str:
        prec = self._prec
        return self.word.join([wrap(r, item, prec) for item in self.items])


class And(Junction):
    __slots__ = ()
    _prec = AND
    word = " AND "


class Or(Junction):
    __slots__ = ()
    _prec = OR
    word = " OR "


def junction(kind: type[Junction], conditions: tuple[object, ...]) -> Expr:
    items: list[Expr] = []
    for cond in conditions:
        expr = coerce(cond)
        if isinstance(expr, kind):
            items.extend(expr.items)
        else:
            items.append(expr)
    if not items:
        raise ValueError("and_()/or_() need at least one condition")
    return items[0] if len(items) == 1 else kind(tuple(items))


def and_(*conditions: object) -> Expr:
    """All of ``conditions`` (``a AND b AND ...``)."""
    return junction(And, conditions)


def or_(*conditions: object) -> Expr:
    """Any of ``conditions`` (``a OR b OR ...``)."""
    return junction(Or, conditions)


class Not(Expr):
    __slots__ = ("item",)
    _prec = NOT

    def __init__(self, item: Expr) -> None:
        self.item = item

    def _sql(self, r: Renderer) -> str:
        return "NOT " + wrap(r, self.item, CMP * 2)


def not_(condition: object) -> Expr:
    """``NOT condition``."""
    return Not(coerce(condition))


class IsNull(Expr):
    __slots__ = ("item", "negated")
    _prec = CMP

    def __init__(self, item: Expr, *, negated: bool) -> None:
        self.item = item
        self.negated = negated

    def _sql(self, r: Renderer) -> str:
        return wrap(r, self.item, CMP) + (" IS NOT NULL" if self.negated else " IS NULL")


class In(Expr):
    __slots__ = ("item", "negated", "values")
    _prec = CMP

    def __init__(self, item: Expr, values: Iterable[object] | Selectable, *, negated: bool) -> None:
        self.item = item
        self.negated = negated
        if isinstance(values, (str, bytes)):
            raise TypeError("in_() takes a collection of values, not a single string")
        self.values: Selectable | tuple[Expr, ...] = (
            values if isinstance(values, Selectable) else tuple(coerce(v) for v in values)
        )

    def _sql(self, r: Renderer) -> str:
        values = self.values
        if not values:
            return "1 = 1" if self.negated else "1 = 0"
        word = " NOT IN (" if self.negated else " IN ("
        if isinstance(values, Selectable):
            inner = values._render_query(r)
        else:
            inner = ", ".join([wrap(r, v, RAW) for v in values])
        return wrap(r, self.item, CMP) + word + inner + ")"


class Between(Expr):
    __slots__ = ("high", "item", "low", "negated")
    _prec = CMP

    def __init__(self, item: Expr, low: Expr, high: Expr, *, negated: bool) -> None:
        self.item, self.low, self.high, self.negated = item, low, high, negated

    def _sql(self, r: Renderer) -> str:
        word = " NOT BETWEEN " if self.negated else " BETWEEN "
        item = wrap(r, self.item, CMP)
        return item + word + wrap(r, self.low, CMP) + " AND " + wrap(r, self.high, CMP)


class Like(Expr):
    __slots__ = ("escape", "item", "negated", "pattern")
    _prec = CMP

    def __init__(self, item: Expr, pattern: Expr, *, negated: bool, escape: bool) -> None:
        self.item, self.pattern, self.negated, self.escape = item, pattern, negated, escape

    def _sql(self, r: Renderer) -> str:
        word = " NOT LIKE " if self.negated else " LIKE "
        sql = wrap(r, self.item, CMP) + word + wrap(r, self.pattern, CMP)
        return sql + f" ESCAPE '{LIKE_ESCAPE}'" if self.escape else sql
