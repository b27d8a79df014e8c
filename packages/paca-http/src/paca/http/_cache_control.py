"""Parse the caching header fields: ``Cache-Control``, HTTP-dates, ``Age`` (RFC 9111, 9110).

Pure functions over strings; nothing here raises on a malformed header. What cannot be
understood is ignored, except where RFC 9111 asks for caution: an invalid ``max-age`` makes
the response stale (``max_age=0``), an oversized delta-seconds becomes 2147483648 (1.2.2),
and the first occurrence of a repeated directive wins (4.2.1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "DELTA_MAX",
    "EMPTY_CACHE_CONTROL",
    "CacheControl",
    "parse_age",
    "parse_cache_control",
    "parse_delta",
    "parse_http_date",
]

#: The largest delta-seconds value a cache has to represent (RFC 9111, 1.2.2).
DELTA_MAX = 2_147_483_648

_DIGITS = re.compile(r"[0-9]+\Z", re.ASCII)


@dataclass(frozen=True, slots=True)
class CacheControl:
    """The directives of one ``Cache-Control`` field (request or response).

    Durations are seconds; ``None`` means the directive is absent. ``max_stale`` is
    ``math.inf`` for a bare request ``max-stale`` (any staleness is acceptable).
    """

    max_age: int | None = None
    s_maxage: int | None = None
    no_store: bool = False
    no_cache: bool = False
    no_cache_fields: tuple[str, ...] = ()
    private: bool = False
    public: bool = False
    must_revalidate: bool = False
    proxy_revalidate: bool = False
    immutable: bool = False
    stale_while_revalidate: int | None = None
    stale_if_error: int | None = None
    max_stale: float | None = None
    min_fresh: int | None = None
    only_if_cached: bool = False
    no_transform: bool = False


EMPTY_CACHE_CONTROL = CacheControl()


def parse_delta(value: str | None) -> int | None:
    """Return delta-seconds (RFC 9111, 1.2.2): a non-negative integer, capped; else ``None``."""
    if value is None:
        return None
    value = value.strip()
    if not _DIGITS.match(value):
        return None
    if len(value) > 10:  # more digits than DELTA_MAX has: certainly over it
        return DELTA_MAX
    return min(int(value), DELTA_MAX)


def _split(value: str) -> list[str]:
    """Split a field value on commas that are not inside a quoted-string."""
    if '"' not in value:
        return value.split(",")
    parts: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in value:
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == ",":
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _directives(values: Iterable[str]) -> dict[str, str | None]:
    """Map each directive name (lower-case) to its argument; the first occurrence wins."""
    found: dict[str, str | None] = {}
    for value in values:
        for part in _split(value):
            name, eq, argument = part.partition("=")
            name = name.strip().lower()
            if not name or name in found:
                continue
            found[name] = _unquote(argument.strip()) if eq else None
    return found


def _stale_age(directives: dict[str, str | None], name: str) -> int | None:
    """A ``max-age``-like directive: present but invalid means 0 (treat as stale)."""
    if name not in directives:
        return None
    parsed = parse_delta(directives[name])
    return 0 if parsed is None else parsed


def _max_stale(directives: dict[str, str | None]) -> float | None:
    if "max-stale" not in directives:
        return None
    argument = directives["max-stale"]
    if argument is None:
        return math.inf
    parsed = parse_delta(argument)
    return None if parsed is None else float(parsed)


def parse_cache_control(values: str | Iterable[str] | None) -> CacheControl:
    """Parse ``Cache-Control`` field values (one string, or every field line) into directives.

    Args:
        values: The field value, or the values of each ``Cache-Control`` line, or ``None``.

    Returns:
        The directives; unknown ones are ignored. Never raises for any string.

    Example:
        >>> parse_cache_control("max-age=60, stale-if-error=300").max_age
        60
    """
    if not values:
        return EMPTY_CACHE_CONTROL
    d = _directives([values] if isinstance(values, str) else values)
    if not d:
        return EMPTY_CACHE_CONTROL
    no_cache_arg = d.get("no-cache")
    fields = tuple(
        sorted({f.strip().lower() for f in (no_cache_arg or "").split(",") if f.strip()})
    )
    return CacheControl(
        max_age=_stale_age(d, "max-age"),
        s_maxage=_stale_age(d, "s-maxage"),
        no_store="no-store" in d,
        no_cache="no-cache" in d,
        no_cache_fields=fields,
        private="private" in d,
        public="public" in d,
        must_revalidate="must-revalidate" in d,
        proxy_revalidate="proxy-revalidate" in d,
        immutable="immutable" in d,
        stale_while_revalidate=parse_delta(d.get("stale-while-revalidate")),
        stale_if_error=parse_delta(d.get("stale-if-error")),
        max_stale=_max_stale(d),
        min_fresh=parse_delta(d.get("min-fresh")),
        only_if_cached="only-if-cached" in d,
        no_transform="no-transform" in d,
    )


def parse_http_date(value: str | None) -> float | None:
    """Return the Unix seconds of an HTTP-date (IMF-fixdate, RFC 850 or asctime), else ``None``.

    Only differences between two such dates are used (``Expires - Date``,
    ``Date - Last-Modified``); no wall clock is read. Never raises.
    """
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
        if when.tzinfo is None:  # asctime has no zone; an HTTP-date is always GMT
            when = when.replace(tzinfo=timezone.utc)
        epoch = when.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return epoch if math.isfinite(epoch) else None


def parse_age(value: str | None) -> int | None:
    """Return the ``Age`` field as delta-seconds, ``None`` if absent or invalid."""
    if value is None:
        return None
    return parse_delta(value.split(",", 1)[0])
