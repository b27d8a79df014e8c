"""What the response cache reads from a request, and how it copies and rewrites them.

A stored response's URL never keeps its query string (it may hold secrets such as an
``?api_key=`` the auth layer added); when the response came from the request's own URL (no
redirect), the cache puts the caller's query back when serving it. A redirected response
is served with its final URL without query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from paca.http._cache_control import EMPTY_CACHE_CONTROL, CacheControl, parse_cache_control
from paca.http._cache_key import split_query
from paca.http._exchange import OutgoingRequest, RawResponse

if TYPE_CHECKING:
    from multidict import CIMultiDict

    from paca.http._freshness import CacheEntry

__all__ = [
    "BYPASS_FIELDS",
    "copy_request",
    "full_url",
    "same_resource",
    "request_cache_control",
    "strip_query",
    "with_query",
]

#: Request fields the cache does not answer itself: ranges and the caller's own conditionals.
BYPASS_FIELDS = ("Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since")
_PRAGMA_NO_CACHE = CacheControl(no_cache=True)


def request_cache_control(headers: CIMultiDict[str]) -> CacheControl:
    """The request's directives; ``Pragma: no-cache`` counts only without ``Cache-Control``."""
    values = headers.getall("Cache-Control", None)
    if values:
        return parse_cache_control(values)
    if "Pragma" in headers and "no-cache" in headers["Pragma"].lower():
        return _PRAGMA_NO_CACHE
    return EMPTY_CACHE_CONTROL


def full_url(request: OutgoingRequest) -> str:
    """The request's URL with its parameters as a query string."""
    base, pairs = split_query(request.url, request.params)
    return f"{base}?{urlencode(pairs)}" if pairs else base


def copy_request(
    request: OutgoingRequest, extra: list[tuple[str, str]] | None = None
) -> OutgoingRequest:
    """A copy of ``request`` (own headers and params) with ``extra`` header fields set."""
    headers = request.headers.copy()
    for name, value in extra or ():
        headers[name] = value
    return OutgoingRequest(
        request.method,
        request.url,
        list(request.params),
        headers,
        request.body,
        request.endpoint,
        request.idempotency_key,
    )


def same_resource(response: RawResponse, request: OutgoingRequest) -> bool:
    """Whether the response URL is the request's (no redirect), queries aside."""
    return split_query(response.url)[0] == split_query(request.url)[0]


def strip_query(response: RawResponse) -> RawResponse:
    """The response to store, with a URL that never keeps a query string.

    The query may hold credentials the auth layer added, such as ``?api_key=``.
    """
    if "?" not in response.url and "#" not in response.url:
        return response
    base = split_query(response.url)[0]
    return RawResponse(response.status, response.headers, response.body, base, response.reason)


def with_query(entry: CacheEntry, request: OutgoingRequest) -> RawResponse:
    """The stored response with the caller's query string put back on its URL."""
    stored = entry.response
    _, pairs = split_query(request.url, request.params)
    url = f"{stored.url}?{urlencode(pairs)}" if pairs else stored.url
    return RawResponse(stored.status, stored.headers, stored.body, url, stored.reason)
