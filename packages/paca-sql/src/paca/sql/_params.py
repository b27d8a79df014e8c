"""Placeholder translation: ``:name`` and ``?`` into ``$1``, ``%s`` or ``?``.

A pure, cached scanner. The caller's parameters decide what a placeholder is:

- with a mapping, ``:name`` marks a parameter (``::`` casts, ``:=`` and the
  ``?`` JSON operators of PostgreSQL are left alone);
- with a sequence, ``?`` marks a parameter; SQL already written in the
  driver's native style (``$1`` for PostgreSQL) passes through unchanged.

Placeholders inside quoted strings (``'...'``, ``E'...'``, ``"..."``,
backquotes, PostgreSQL dollar quotes ``$tag$...$tag$``) and comments
(``--``, ``#`` for MySQL, ``/* */``) are not parameters. For the ``%s``
style every literal ``%`` is doubled, since the driver formats the whole
statement. Each distinct statement is scanned once (LRU cache); the scan
also tells whether the statement may change session state (see
:attr:`Translation.touches_session`), which lets the pool skip its reset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any, Literal

__all__ = ["ParamStyle", "Translation", "bind", "bind_all", "touches_session", "translate"]

ParamStyle = Literal["dollar", "format", "qmark"]
_POSITIONAL = frozenset({tuple, list})
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PLAIN_STARTS = ("select", "insert", "update", "delete", "with", "values", "table")
# Words after which a statement may leave state in the session: advisory locks,
# session settings, LISTEN, cursors, prepared statements, temporary tables.
_SESSION_WORDS = re.compile(
    r"advisory|set_config|\btemp\b|\btemporary\b|\blisten\b|\bdeclare\b|\bprepare\b"
    r"|\bcursor\b|\block\b|\bget_lock\b|@|lo_open|dblink",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Translation:
    """One statement, scanned for one placeholder style.

    Attributes:
        sql: The statement in the driver's style.
        names: For named parameters, the name of each driver parameter in
            order (a name used twice appears once for ``$n``, twice otherwise);
            ``None`` for positional parameters.
        count: How many positional parameters the statement takes (``None``
            for named parameters, or when native ``$n`` SQL passed through).
        touches_session: ``True`` when the statement may leave state in the
            session (a ``SET``, a lock, a temporary table...), so the
            connection must be reset before another user gets it.
    """

    sql: str
    names: tuple[str, ...] | None
    count: int | None
    touches_session: bool


def _skip_quoted(sql: str, i: int, quote: str, backslash: bool) -> int:
    """Return the index after the quoted text that opens at ``i``."""
    n = len(sql)
    i += 1
    while i < n:
        c = sql[i]
        if backslash and c == "\\":
            i += 2
            continue
        if c == quote:
            if i + 1 < n and sql[i + 1] == quote:  # doubled quote
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _skip_special(sql: str, i: int, mysql: bool) -> int:
    """Return the end of a string/comment starting at ``i``, or ``i`` if none starts there."""
    c = sql[i]
    nxt = sql[i + 1] if i + 1 < len(sql) else ""
    if c == "'":
        escaped = mysql or (i > 0 and sql[i - 1] in "eE" and not _is_name_char(sql, i - 2))
        return _skip_quoted(sql, i, "'", escaped)
    if c == '"':
        return _skip_quoted(sql, i, '"', mysql)
    if c == "`":
        return _skip_quoted(sql, i, "`", False)
    if (c == "-" and nxt == "-") or (c == "#" and mysql):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end
    if c == "/" and nxt == "*":
        end = sql.find("*/", i + 2)
        return len(sql) if end < 0 else end + 2
    if c == "$" and not mysql and not _is_name_char(sql, i - 1):
        match = _DOLLAR_TAG.match(sql, i)
        if match is not None:
            end = sql.find(match.group(0), match.end())
            return len(sql) if end < 0 else end + len(match.group(0))
    return i


def _is_name_char(sql: str, i: int) -> bool:
    return 0 <= i < len(sql) and sql[i] in _NAME_CHARS


@lru_cache(maxsize=1024)
def translate(sql: str, style: ParamStyle, named: bool) -> Translation:  # noqa: PLR0912, PLR0915
    """Rewrite the placeholders of ``sql`` for ``style``; cached per statement.

    Args:
        sql: The statement, with ``:name`` (``named``) or ``?`` placeholders.
        style: The driver's style: ``"dollar"`` (asyncpg), ``"format"``
            (aiomysql), ``"qmark"`` (sqlite3).
        named: Whether the parameters come as a mapping.

    Returns:
        The translation.
    """
    mysql = style == "format"
    out: list[str] = []
    names: list[str] = []
    count = 0
    i = start = 0
    n = len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`-#/$":
            end = _skip_special(sql, i, mysql)
            if end != i:
                if mysql and "%" in sql[i:end]:
                    out.append(sql[start:i])
                    out.append(sql[i:end].replace("%", "%%"))
                    start = end
                i = end
                continue
        if named and c == ":":
            prev = sql[i - 1] if i else ""
            nxt = sql[i + 1] if i + 1 < n else ""
            if prev != ":" and nxt in _NAME_START:
                j = i + 1
                while j < n and sql[j] in _NAME_CHARS:
                    j += 1
                name = sql[i + 1 : j]
                out.append(sql[start:i])
                if style == "dollar":
                    if name not in names:
                        names.append(name)
                    out.append(f"${names.index(name) + 1}")
                else:
                    names.append(name)
                    out.append("%s" if mysql else "?")
                i = start = j
                continue
        elif not named and c == "?":
            count += 1
            out.append(sql[start:i])
            out.append(f"${count}" if style == "dollar" else ("%s" if mysql else "?"))
            start = i + 1
        elif mysql and c == "%":
            out.append(sql[start:i])
            out.append("%%")
            start = i + 1
        i += 1
    out.append(sql[start:])
    text = "".join(out)
    if not named and count == 0:
        count_or_none: int | None = None  # no '?': native SQL, or no parameters
    else:
        count_or_none = None if named else count
    return Translation(text, tuple(names) if named else None, count_or_none, touches_session(sql))


@lru_cache(maxsize=1024)
def touches_session(sql: str) -> bool:
    """Whether ``sql`` may leave state in the session (conservative; cached).

    Only single statements starting with SELECT, INSERT, UPDATE, DELETE,
    WITH, VALUES or TABLE that mention no lock, setting, cursor, temporary
    table, LISTEN, PREPARE or user variable count as clean. State changed
    inside a server-side function the statement calls cannot be seen.
    """
    head = sql.lstrip(" \t\r\n(").lower()
    if not head.startswith(_PLAIN_STARTS):
        return True
    if ";" in sql.rstrip().rstrip(";"):  # several statements
        return True
    return _SESSION_WORDS.search(sql) is not None


def bind(translation: Translation, params: Mapping[str, Any] | Sequence[Any] | None) -> list[Any]:
    """Return the driver's argument list for ``params``.

    Raises:
        ValueError: A named parameter is missing, or the number of
            positional parameters does not match the statement.
        TypeError: ``params`` is neither a mapping nor a sequence.
    """
    names = translation.names
    if names is not None:
        if not isinstance(params, Mapping):
            msg = f"named parameters need a mapping, got {type(params).__name__}"
            raise TypeError(msg)
        try:
            return [params[name] for name in names]
        except KeyError as exc:
            msg = f"parameter :{exc.args[0]} is used in the statement but missing from params"
            raise ValueError(msg) from None
    if params is None:
        args: list[Any] = []
    elif type(params) is list or type(params) is tuple:  # skip the ABC check
        args = list(params)
    elif isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
        msg = f"positional parameters need a list or tuple, got {type(params).__name__}"
        raise TypeError(msg)
    else:
        args = list(params)
    expected = translation.count
    if expected is not None and expected != len(args):
        msg = f"the statement has {expected} '?' placeholders but {len(args)} parameters came"
        raise ValueError(msg)
    return args


def bind_all(
    translation: Translation, param_sets: Sequence[Mapping[str, Any] | Sequence[Any] | None]
) -> Sequence[Sequence[Any]]:
    """Bind every parameter set of an ``execute_many``.

    Positional tuples/lists of the right size pass as they are (no copy);
    dicts are read with one ``itemgetter`` per set; anything else, or a
    missing name, goes through :func:`bind` (and its errors).

    Raises:
        ValueError: As :func:`bind`.
        TypeError: As :func:`bind`.
    """
    names = translation.names
    if names is None:
        expected = translation.count
        # set(map(...)) runs in C: about half the cost of all() over a generator
        if set(map(type, param_sets)) <= _POSITIONAL and (
            expected is None or set(map(len, param_sets)) == {expected}  # type: ignore[arg-type]
        ):
            return param_sets  # type: ignore[return-value]
    elif names and all(type(p) is dict for p in param_sets):
        get: Any = itemgetter(*names)
        try:
            if len(names) == 1:
                return [(get(p),) for p in param_sets]
            return [get(p) for p in param_sets]
        except KeyError:
            pass  # bind() names the missing parameter
    return [bind(translation, p) for p in param_sets]
