"""Cache keys: method + normalised URL with sorted query (primary), Vary'd headers (secondary).

Keys are SHA-256 digests of the normalised text, so a secret in a query string (``?api_key=``)
or in a Vary'd request header (``Vary: Authorization``) never appears in a store's key
listing or in a stored value. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    from collections.abc import Iterable

    from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "NO_VARY",
    "normalize_url",
    "resolve",
    "primary_key",
    "same_origin",
    "split_query",
    "vary_digest",
    "vary_names",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: The secondary key of a response without ``Vary``.
NO_VARY = hashlib.sha256(b"").hexdigest()


def split_query(
    url: str, params: Iterable[tuple[str, str]] = ()
) -> tuple[str, list[tuple[str, str]]]:
    """Return ``url`` without query or fragment, and its query pairs followed by ``params``."""
    base, _, rest = url.partition("?")
    base = base.partition("#")[0]
    query = rest.partition("#")[0]
    pairs = parse_qsl(query, keep_blank_values=True) if query else []
    pairs.extend(params)
    return base, pairs


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop a default port and the fragment; keep the path as is."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # an invalid port or bracketed host: key on the text itself
        return url.partition("#")[0]
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:  # part of the (hashed) key: two users never share an entry
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def primary_key(
    method: str, url: str, params: Iterable[tuple[str, str]] = (), partition: str | None = None
) -> str:
    """Return the hex SHA-256 of ``METHOD normalised-url?sorted-query [partition]``.

    The query from ``url`` and ``params`` are merged and sorted, so parameter order does not
    split the cache.
    """
    base, pairs = split_query(url, params)
    query = urlencode(sorted(pairs))
    text = f"{method.upper()} {normalize_url(base)}?{query}"
    if partition is not None:
        text = f"{text}\x00{partition}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def vary_names(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> tuple[str, ...] | None:
    """Return the sorted lower-case field names of every ``Vary`` line; ``None`` for ``Vary: *``."""
    names: set[str] = set()
    for value in headers.getall("Vary", ()):
        for raw in value.split(","):
            name = raw.strip().lower()
            if name == "*":
                return None
            if name:
                names.add(name)
    return tuple(sorted(names))


def vary_digest(names: tuple[str, ...], headers: CIMultiDict[str] | CIMultiDictProxy[str]) -> str:
    """Return the digest of the request's values of the ``names`` fields (the secondary key).

    Values are normalised as RFC 9111 4.1 allows: repeated lines joined with ``", "`` and
    runs of whitespace collapsed. An absent field differs from an empty one.
    """
    if not names:
        return NO_VARY
    digest = hashlib.sha256()
    for name in names:
        values = headers.getall(name, None)
        digest.update(name.encode("latin-1", "replace") + b"\x00")
        if values is None:
            digest.update(b"\x01")
        else:
            joined = " ".join(", ".join(values).split())
            digest.update(b"\x02" + joined.encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
    return digest.hexdigest()


def same_origin(url: str, other: str) -> bool:
    """Whether two absolute URLs share scheme, host and port."""
    try:
        a, b = urlsplit(url), urlsplit(other)
        ports = (
            a.port or _DEFAULT_PORTS.get(a.scheme.lower()),
            b.port or _DEFAULT_PORTS.get(b.scheme.lower()),
        )
    except ValueError:
        return False
    return (
        a.scheme.lower() == b.scheme.lower()
        and (a.hostname or "").lower() == (b.hostname or "").lower()
        and ports[0] == ports[1]
    )


def resolve(base: str, reference: str) -> str:
    """Resolve a ``Location``/``Content-Location`` reference against the request URL."""
    return urljoin(base, reference.strip())
