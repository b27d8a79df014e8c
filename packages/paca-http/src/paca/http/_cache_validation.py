"""Validating and invalidating stored responses (RFC 9111, 4.3 and 4.4), as pure functions.

A stale entry with validators is revalidated with a conditional request
(:func:`conditional_headers`); a 304 then freshens it (:func:`freshen`). A non-error answer to
an unsafe request invalidates the stored responses of its target (:func:`invalidation_targets`).
The freshness rules themselves are in :mod:`paca.http._freshness`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from multidict import CIMultiDict, CIMultiDictProxy

from paca.http._cache_control import parse_http_date
from paca.http._cache_key import resolve, same_origin
from paca.http._exchange import RawResponse
from paca.http._freshness import HEURISTIC_CAP, CacheEntry, initial_age, response_lifetime

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SAFE_METHODS", "conditional_headers", "freshen", "invalidation_targets"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Header fields a 304 never overwrites in the stored response (RFC 9111, 3.2).
_NOT_UPDATED = frozenset(
    {
        "content-length",
        "content-encoding",
        "content-range",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    }
)


def conditional_headers(entry: CacheEntry) -> list[tuple[str, str]]:
    """Return the validators to send when revalidating ``entry`` (RFC 9111, 4.3.1)."""
    found: list[tuple[str, str]] = []
    if entry.etag:
        found.append(("If-None-Match", entry.etag))
    if entry.last_modified:
        found.append(("If-Modified-Since", entry.last_modified))
    return found


def _opaque(etag: str) -> str:
    etag = etag.strip()
    return etag[2:] if etag[:2] in ("W/", "w/") else etag


def freshen(
    entry: CacheEntry,
    not_modified: RawResponse,
    *,
    request_time: float,
    response_time: float,
    heuristic_cap: float = HEURISTIC_CAP,
) -> CacheEntry | None:
    """Apply a 304 to ``entry`` (RFC 9111, 4.3.4); ``None`` if its validators do not match.

    The 304's header fields replace the stored ones (except framing fields such as
    ``Content-Length``); the age restarts from the 304's ``Age`` and timing.
    """
    new = not_modified.headers
    etag = new.get("ETag")
    if etag is not None and (entry.etag is None or _opaque(etag) != _opaque(entry.etag)):
        return None
    modified = new.get("Last-Modified")
    if modified is not None and entry.last_modified is not None:
        a, b = parse_http_date(modified), parse_http_date(entry.last_modified)
        if a != b or a is None:
            return None
    replaced = {k.lower() for k in new if k.lower() not in _NOT_UPDATED}
    pairs = [(k, v) for k, v in entry.response.headers.items() if k.lower() not in replaced]
    pairs.extend((k, v) for k, v in new.items() if k.lower() in replaced)
    old = entry.response
    response = RawResponse(
        old.status, CIMultiDictProxy(CIMultiDict(pairs)), old.body, old.url, old.reason
    )
    lifetime = entry.lifetime if entry.overridden else response_lifetime(response, heuristic_cap)
    return CacheEntry(
        response,
        request_time,
        response_time,
        lifetime,
        initial_age(new, request_time, response_time),
        entry.vary_names,
        entry.vary_digest,
        entry.query_from_request,
        entry.overridden,
    )


def invalidation_targets(
    method: str, url: str, status: int, headers: Mapping[str, str] | CIMultiDictProxy[str]
) -> list[str]:
    """Return the URLs whose stored responses an unsafe request's answer invalidates.

    RFC 9111 4.4: after a non-error (2xx or 3xx) response to an unsafe method, the target
    URL, and the ``Location`` and ``Content-Location`` URLs when they share its origin.
    """
    if method.upper() in SAFE_METHODS or not 200 <= status < 400:
        return []
    targets = [url]
    for name in ("Location", "Content-Location"):
        value = headers.get(name)
        if value:
            target = resolve(url, value)
            if target not in targets and same_origin(url, target):
                targets.append(target)
    return targets
