"""Validation and quoting of SQL identifiers (tables, columns, aliases, schemas).

Every identifier the query builder writes is quoted: ``"name"`` for PostgreSQL and
SQLite, ```name``` for MySQL/MariaDB, with the quote character doubled inside the
name, so a name can never end its quotes early. A dot separates the parts of a
qualified name (``schema.table``, ``table.column``, ``schema.table.column``): a
name part cannot itself hold a dot.

Rejected (:class:`InvalidIdentifier`): empty names or parts, NUL characters,
unpaired surrogates (not encodable), more than three parts and names longer than
the server accepts (PostgreSQL: 63 bytes of UTF-8, which it would otherwise
truncate silently; MySQL/MariaDB: 64 characters, no trailing space and no
characters outside the Basic Multilingual Plane; SQLite: 255 characters).

Quoting is a pure function of ``(name, family)``; its results (immutable strings)
are kept in a small LRU cache.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "MAX_PARTS",
    "InvalidIdentifier",
    "check_alias",
    "check_function_name",
    "quote_identifier",
    "split_name",
]

MAX_PARTS = 3
_FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?\Z")


class InvalidIdentifier(ValueError):  # noqa: N818 - the issue names the error family
    """An identifier (table, column, alias, function name) that cannot be used safely."""


def _check_part(part: str, name: str) -> None:
    if not part:
        raise InvalidIdentifier(f"empty identifier (or empty part) in {name!r}")
    if "\x00" in part:
        raise InvalidIdentifier(f"identifier {name!r} contains a NUL character")
    try:
        part.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidIdentifier(f"identifier {name!r} is not valid Unicode text") from None


def split_name(name: object) -> tuple[str, ...]:
    """Split a possibly qualified name into its parts, checking what every dialect needs.

    Args:
        name: An identifier such as ``"users"``, ``"public.users"`` or ``"u.id"``.

    Returns:
        The parts, in order.

    Raises:
        TypeError: ``name`` is not a string.
        InvalidIdentifier: an empty part, a NUL, bad Unicode, or too many parts.
    """
    if not isinstance(name, str):
        raise TypeError(f"an identifier must be a str, not {type(name).__name__}")
    parts = tuple(name.split("."))
    if len(parts) > MAX_PARTS:
        raise InvalidIdentifier(f"identifier {name!r} has more than {MAX_PARTS} dotted parts")
    for part in parts:
        _check_part(part, name)
    return parts


def _check_for_family(part: str, name: str, family: str) -> None:
    if family == "postgresql":
        if len(part.encode("utf-8")) > 63:
            raise InvalidIdentifier(f"identifier {name!r} is longer than 63 bytes (PostgreSQL)")
    elif family == "mysql":
        if len(part) > 64:
            raise InvalidIdentifier(f"identifier {name!r} is longer than 64 characters (MySQL)")
        if part.endswith(" "):
            raise InvalidIdentifier(f"identifier {name!r} ends with a space (MySQL)")
        if any(ord(ch) > 0xFFFF for ch in part):
            raise InvalidIdentifier(f"identifier {name!r} has characters MySQL does not allow")
    elif len(part) > 255:
        raise InvalidIdentifier(f"identifier {name!r} is longer than 255 characters")


@lru_cache(maxsize=4096)
def quote_identifier(name: str, family: str) -> str:
    """Return ``name`` validated and quoted for a dialect family.

    Args:
        name: A plain or dotted (qualified) identifier.
        family: ``"postgresql"``, ``"mysql"`` or ``"sqlite"``.

    Returns:
        The quoted form, e.g. ``"public"."users"`` or ```users```.

    Raises:
        InvalidIdentifier: the name cannot be used (see the module docstring).
    """
    quote = "`" if family == "mysql" else '"'
    doubled = quote + quote
    quoted = []
    for part in split_name(name):
        _check_for_family(part, name, family)
        quoted.append(quote + part.replace(quote, doubled) + quote)
    return ".".join(quoted)


def check_alias(alias: object) -> str:
    """Return ``alias`` after checking it is a single, non-dotted identifier.

    Raises:
        TypeError: ``alias`` is not a string.
        InvalidIdentifier: it is empty, dotted or otherwise invalid.
    """
    parts = split_name(alias)
    if len(parts) != 1:
        raise InvalidIdentifier(f"an alias cannot be qualified: {alias!r}")
    return parts[0]


def check_function_name(name: object) -> str:
    """Return ``name`` if it is a plain (optionally schema-qualified) SQL function name.

    Function names are written unquoted, so they are restricted to ASCII letters,
    digits and underscores.

    Raises:
        TypeError: ``name`` is not a string.
        InvalidIdentifier: any other character.
    """
    if not isinstance(name, str):
        raise TypeError(f"a function name must be a str, not {type(name).__name__}")
    if not _FUNCTION_NAME.match(name):
        raise InvalidIdentifier(f"invalid SQL function name {name!r}")
    return name
