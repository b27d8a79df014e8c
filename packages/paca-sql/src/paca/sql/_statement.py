"""Turn what a caller passes (SQL text or a query object) into driver SQL and arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from paca.result import ErrorKind, Result
from paca.sql._params import ParamStyle, bind, touches_session, translate

__all__ = ["Prepared", "Query", "dialect_family", "prepare"]

Prepared = tuple[str, list[Any], bool]
_FAMILIES = {
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}


@runtime_checkable
class Query(Protocol):
    """A query object (the ``QueryBuilder``): native SQL for one dialect, and its arguments."""

    @property
    def dialect(self) -> Any:
        """The dialect the SQL is rendered for (``"postgresql"``, ``"mysql"``, ``"sqlite"``)."""
        ...

    def build(self) -> tuple[str, list[Any]]:
        """Render the statement: SQL in the driver's placeholder style, and its arguments."""
        ...


def dialect_family(dialect: Any) -> str:
    """The family name of a dialect given as a string, an enum or an object with ``name``."""
    value = getattr(dialect, "value", None) or getattr(dialect, "family", None) or dialect
    if not isinstance(value, str):
        value = getattr(value, "name", value)
    text = str(value).lower()
    return _FAMILIES.get(text, text)


def prepare(
    query: str | Query,
    params: Mapping[str, Any] | Sequence[Any] | None,
    style: ParamStyle,
    dialect: str,
) -> Prepared | Result[Any]:
    """Return ``(sql, args, touches_session)``, or a ``VALIDATION`` failure.

    Raises:
        ValueError: A named parameter is missing, or the ``?`` count is wrong.
        TypeError: ``query`` is neither SQL text nor a query object, or a
            query object came with ``params``.
    """
    if type(query) is str:
        kind = type(params)
        # the common shapes without the (slower) ABC check
        named = kind is dict or (
            kind is not tuple
            and kind is not list
            and params is not None
            and isinstance(params, Mapping)
        )
        translation = translate(query, style, named)
        if params is None and translation.names is None and not translation.count:
            return translation.sql, [], translation.touches_session  # nothing to bind
        return translation.sql, bind(translation, params), translation.touches_session
    build = getattr(query, "build", None)
    if build is None or isinstance(query, (bytes, str)):
        msg = f"query must be SQL text or a query object with build(), not {type(query).__name__}"
        raise TypeError(msg)
    if params is not None:
        msg = "a query object carries its own parameters; pass no params"
        raise TypeError(msg)
    family = dialect_family(getattr(query, "dialect", None))
    if family != dialect:
        message = f"the query was built for {family!r} but the connector speaks {dialect!r}"
        return Result.fail(message, ErrorKind.VALIDATION)
    sql, args = build()
    return sql, list(args), touches_session(sql)
