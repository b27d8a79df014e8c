"""Raw SQL, function calls, EXISTS and upsert proposed values: leaves of the expression tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.sql._expressions import RAW, Expr, ScalarSubquery, Selectable, coerce, wrap
from paca.sql._identifiers import check_function_name, split_name

if TYPE_CHECKING:
    from paca.sql._dialect import Renderer

__all__ = ["Func", "excluded", "exists", "func", "raw"]


class _Raw(Expr):
    __slots__ = ("args", "parts")
    _prec = RAW

    def __init__(self, parts: tuple[str, ...], args: tuple[Expr, ...]) -> None:
        self.parts = parts
        self.args = args

    def _sql(self, r: Renderer) -> str:
        out = [r.text(self.parts[0])]
        for arg, part in zip(self.args, self.parts[1:], strict=True):
            out.append(wrap(r, arg, RAW))
            out.append(r.text(part))
        return "".join(out)


def raw(sql: str, *args: object) -> Expr:
    """Explicitly written SQL, with ``{}`` marking where each argument goes.

    Each argument is bound as a parameter, or rendered in place when it is an
    expression (``col(...)``, ``raw(...)``, a subquery). Write ``{{`` and ``}}``
    for literal braces. Do not put untrusted text in ``sql``.

    Example:
        ``raw("date_trunc('day', {}) > {}", col("created"), since)``

    Args:
        sql: SQL text (written as is; ``%`` is doubled for ``%s`` drivers).
        *args: One value or expression per ``{}``.

    Returns:
        An expression usable anywhere a value or a predicate is.

    Raises:
        ValueError: the number of ``{}`` and of arguments differ, or a lone brace.
    """
    parts: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        nxt = sql[i + 1] if i + 1 < n else ""
        if ch == "{" and nxt == "}":
            parts.append("".join(current))
            current = []
            i += 2
        elif ch in "{}" and nxt == ch:
            current.append(ch)
            i += 2
        elif ch in "{}":
            raise ValueError(f"lone {ch!r} in raw SQL: write {ch}{ch} for a literal brace")
        else:
            current.append(ch)
            i += 1
    parts.append("".join(current))
    if len(parts) != len(args) + 1:
        raise ValueError(f"raw SQL has {len(parts) - 1} '{{}}' markers but {len(args)} arguments")
    return _Raw(tuple(parts), tuple(coerce(a) for a in args))


class _Exists(ScalarSubquery):
    __slots__ = ()

    def _sql(self, r: Renderer) -> str:
        return "EXISTS (" + self.query._render_query(r) + ")"


def exists(query: Selectable) -> Expr:
    """``EXISTS (subquery)``; negate with ``~exists(q)`` or ``not_(exists(q))``."""
    if not isinstance(query, Selectable):
        raise TypeError("exists() takes a QueryBuilder")
    return _Exists(query)


class Func(Expr):
    """A SQL function call such as ``COUNT(*)`` or ``LOWER("name")``."""

    __slots__ = ("args", "distinct", "name")

    def __init__(self, name: str, args: tuple[Expr, ...], *, distinct: bool = False) -> None:
        self.name = name
        self.args = args
        self.distinct = distinct

    def _sql(self, r: Renderer) -> str:
        if not self.args:
            return self.name + ("(*)" if self.name == "COUNT" else "()")
        inner = ", ".join([wrap(r, a, RAW) for a in self.args])
        return f"{self.name}({'DISTINCT ' if self.distinct else ''}{inner})"


class _FunctionFactory:
    """``func.name(*args)`` builds ``NAME(args)``: ``func.count()``, ``func.lower(col("x"))``."""

    def __getattr__(self, name: str) -> _FunctionCall:
        if name.startswith("_"):
            raise AttributeError(name)
        return _FunctionCall(check_function_name(name).upper())


class _FunctionCall:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: object, distinct: bool = False) -> Func:
        return Func(self.name, tuple(coerce(a) for a in args), distinct=distinct)


func = _FunctionFactory()
"""Build SQL function calls: ``func.count()``, ``func.sum(col("x"))``, ``func.coalesce(a, 0)``.

Aggregates: ``COUNT`` (``func.count()`` is ``COUNT(*)``; ``distinct=True`` gives
``COUNT(DISTINCT x)``), ``SUM``, ``AVG``, ``MIN``, ``MAX``. Any other plain name
is rendered uppercase, unquoted, with its arguments bound.
"""


class _Excluded(Expr):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        split_name(name)
        self.name = name

    def _sql(self, r: Renderer) -> str:
        if r.excluded is None:
            raise ValueError("excluded() is only valid in on_conflict_do_update(update={...})")
        name = r.alias(self.name)
        if r.excluded == "excluded":
            return "EXCLUDED." + name
        if r.excluded == "alias":
            return "`new`." + name
        return f"VALUES({name})"


def excluded(column: str) -> Expr:
    """The value an upsert proposed for ``column``.

    Renders ``EXCLUDED."c"`` (PostgreSQL, SQLite), ```new`.`c``` (MySQL >= 8.0.19)
    or ``VALUES(`c`)`` (MariaDB, older MySQL).
    """
    return _Excluded(column)
