"""The HTTP caching rules (RFC 9111, private cache) as pure functions: no I/O, no clock reads.

Inputs are header fields, stored entries and clock readings; outputs are decisions. The
:class:`~paca.http.ResponseCache` does the I/O around them.

Time: every age is measured with the cache's injected monotonic clock. ``request_time`` and
``response_time`` are clock readings taken around the origin call, so the corrected initial
age is ``Age + (response_time - request_time)``. The ``Date`` header is parsed, but only to
compute durations between two header dates (``Expires - Date``, heuristic
``Date - Last-Modified``); the *apparent age* (``response_time - Date``) is not used because
it would need the wall clock. Without a ``Date``, ``Expires`` cannot be turned into a duration
and the response is treated as already stale (it can still be revalidated).

The flow, as states (as in hishel 1.x): a lookup yields a :class:`Lookup` whose
:class:`Action` is ``FRESH`` (serve), ``STALE`` (serve: the request's ``max-stale`` accepts
it), ``STALE_WHILE_REVALIDATE`` (serve and refresh in the background) or ``REVALIDATE`` (ask
the origin, conditionally when the entry has validators); no entry is a miss. Validating
with a conditional request, applying its 304 and invalidating after unsafe requests are in
:mod:`paca.http._cache_validation`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paca.http._cache_control import (
    EMPTY_CACHE_CONTROL,
    CacheControl,
    parse_age,
    parse_cache_control,
    parse_http_date,
)
from paca.http._cache_key import NO_VARY, vary_digest, vary_names

if TYPE_CHECKING:
    from multidict import CIMultiDict, CIMultiDictProxy

    from paca.http._exchange import RawResponse

__all__ = [
    "CACHEABLE_METHODS",
    "ERROR_STATUSES",
    "HEURISTIC_STATUSES",
    "Action",
    "CacheEntry",
    "Lookup",
    "current_age",
    "evaluate",
    "freshness_lifetime",
    "initial_age",
    "make_entry",
    "response_lifetime",
    "retention",
    "stale_if_error_allowed",
    "why_not_storable",
]

CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
#: Status codes cacheable by default: heuristic freshness applies (RFC 9110, 15.1).
HEURISTIC_STATUSES = frozenset({200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501})
#: Origin answers that ``stale-if-error`` may replace with a stored response (RFC 5861, 4).
ERROR_STATUSES = frozenset({500, 502, 503, 504})
HEURISTIC_FRACTION = 0.1
HEURISTIC_CAP = 86_400.0
_ENTRY_OVERHEAD = 256  # bytes charged per entry beyond its body and headers


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One stored response and the facts needed to judge its freshness.

    Attributes:
        response: The stored response (its URL without query: the cache puts the request's
            query back when ``query_from_request``).
        request_time: Clock reading when the request was sent.
        response_time: Clock reading when the response arrived.
        lifetime: Freshness lifetime in seconds (from headers, or the policy's TTL).
        initial_age: Corrected initial age: ``Age`` plus the response delay.
        vary_names: The ``Vary`` field names (lower-case, sorted).
        vary_digest: Digest of the request's values of those fields (never the values).
        query_from_request: The response came from the request's URL (no redirect).
        overridden: The lifetime is a policy TTL: the origin's caching directives are ignored.
    """

    response: RawResponse
    request_time: float
    response_time: float
    lifetime: float
    initial_age: float
    vary_names: tuple[str, ...] = ()
    vary_digest: str = NO_VARY
    query_from_request: bool = False
    overridden: bool = False
    cc: CacheControl = field(init=False, repr=False, compare=False)
    etag: str | None = field(init=False, repr=False, compare=False)
    last_modified: str | None = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        headers = self.response.headers
        cc = EMPTY_CACHE_CONTROL
        if not self.overridden:
            cc = parse_cache_control(headers.getall("Cache-Control", ()))
        object.__setattr__(self, "cc", cc)
        object.__setattr__(self, "etag", headers.get("ETag"))
        object.__setattr__(self, "last_modified", headers.get("Last-Modified"))
        size = len(self.response.body) + len(self.response.url) + _ENTRY_OVERHEAD
        size += sum(len(k) + len(v) for k, v in headers.items())
        object.__setattr__(self, "size", size)


@enum.unique
class Action(enum.Enum):
    """What to do with a stored response for a request."""

    FRESH = "fresh"
    STALE = "stale"
    STALE_WHILE_REVALIDATE = "stale_while_revalidate"
    REVALIDATE = "revalidate"


@dataclass(frozen=True, slots=True)
class Lookup:
    """The decision for one stored response: the action, and the age it was judged at."""

    action: Action
    age: float
    lifetime: float

    @property
    def staleness(self) -> float:
        """Seconds past the end of the freshness lifetime (0 while fresh)."""
        return max(0.0, self.age - self.lifetime)


def freshness_lifetime(
    cc: CacheControl,
    headers: CIMultiDictProxy[str] | CIMultiDict[str],
    status: int,
    *,
    heuristic_fraction: float = HEURISTIC_FRACTION,
    heuristic_cap: float = HEURISTIC_CAP,
) -> float:
    """Return the freshness lifetime of a response in seconds (RFC 9111, 4.2.1).

    ``max-age`` first (``s-maxage`` is for shared caches and is ignored), then
    ``Expires - Date`` (an invalid ``Expires``, or no ``Date``, gives 0), then for a
    heuristically cacheable status ``heuristic_fraction`` of ``Date - Last-Modified``,
    capped at ``heuristic_cap``.
    """
    if cc.max_age is not None:
        return float(cc.max_age)
    date = parse_http_date(headers.get("Date"))
    if "Expires" in headers:
        expires = parse_http_date(headers.get("Expires"))
        if expires is None or date is None:
            return 0.0
        return max(0.0, expires - date)
    if status in HEURISTIC_STATUSES and date is not None:
        modified = parse_http_date(headers.get("Last-Modified"))
        if modified is not None:
            return max(0.0, min(heuristic_cap, (date - modified) * heuristic_fraction))
    return 0.0


def response_lifetime(response: RawResponse, heuristic_cap: float = HEURISTIC_CAP) -> float:
    """The freshness lifetime its own header fields give ``response``."""
    cc = parse_cache_control(response.headers.getall("Cache-Control", ()))
    return freshness_lifetime(cc, response.headers, response.status, heuristic_cap=heuristic_cap)


def initial_age(
    headers: CIMultiDictProxy[str] | CIMultiDict[str], request_time: float, response_time: float
) -> float:
    """Return the corrected initial age: the ``Age`` field plus the response delay."""
    age = parse_age(headers.get("Age")) or 0
    return float(age) + max(0.0, response_time - request_time)


def current_age(entry: CacheEntry, now: float) -> float:
    """Return the entry's age at clock reading ``now`` (RFC 9111, 4.2.3, without Date)."""
    return entry.initial_age + max(0.0, now - entry.response_time)


def why_not_storable(
    method: str,
    status: int,
    request_cc: CacheControl,
    headers: CIMultiDictProxy[str] | CIMultiDict[str],
    *,
    authenticated: bool = False,
    store_authenticated: bool = False,
    ttl_override: float | None = None,
    body_size: int = 0,
    max_body_bytes: int | None = None,
) -> str | None:
    """Return why a response must not be stored, or ``None`` when it may be (RFC 9111, 3).

    A private cache: ``private`` responses may be stored. Stricter than the RFC, a response
    to an authenticated request is stored only when ``store_authenticated`` is set, and
    never when it sets a cookie. A ``ttl_override`` ignores the origin's directives, but
    only for statuses cacheable by default.
    """
    if method.upper() not in CACHEABLE_METHODS:
        return "method"
    if request_cc.no_store:
        return "request no-store"
    if status < 200 or status in (206, 304):
        return "status"
    if authenticated and not store_authenticated:
        return "authenticated request"
    if authenticated and "Set-Cookie" in headers:
        return "set-cookie on an authenticated request"
    if max_body_bytes is not None and body_size > max_body_bytes:
        return "body too large"
    if vary_names(headers) is None:
        return "vary *"
    if ttl_override is not None:
        return None if status in HEURISTIC_STATUSES else "status"
    cc = parse_cache_control(headers.getall("Cache-Control", ()))
    if cc.no_store:
        return "response no-store"
    explicit = cc.public or cc.private or cc.max_age is not None or "Expires" in headers
    if not explicit and status not in HEURISTIC_STATUSES:
        return "status"
    return None


def make_entry(
    response: RawResponse,
    request_headers: CIMultiDict[str] | CIMultiDictProxy[str],
    *,
    request_time: float,
    response_time: float,
    ttl_override: float | None = None,
    query_from_request: bool = False,
    heuristic_cap: float = HEURISTIC_CAP,
) -> CacheEntry:
    """Build the entry to store for ``response`` (call :func:`why_not_storable` first)."""
    names = vary_names(response.headers) or ()
    if ttl_override is not None:
        lifetime = float(ttl_override)
    else:
        lifetime = response_lifetime(response, heuristic_cap)
    return CacheEntry(
        response,
        request_time,
        response_time,
        lifetime,
        initial_age(response.headers, request_time, response_time),
        names,
        vary_digest(names, request_headers),
        query_from_request,
        ttl_override is not None,
    )


def retention(
    entry: CacheEntry, stale_if_error: float | None = None, keep_stale: float = 0.0
) -> float:
    """Return how long a store should keep ``entry``, from now (store time); 0: not worth it.

    The remaining freshness, plus the longest stale window it may still be used in:
    ``stale-while-revalidate``, ``stale-if-error`` (or the policy's), or ``keep_stale``
    for an entry with validators (a stale entry still saves a body on a 304).
    """
    remaining = max(0.0, entry.lifetime - entry.initial_age)
    extra = max(
        entry.cc.stale_while_revalidate or 0,
        entry.cc.stale_if_error or 0,
        stale_if_error or 0,
        keep_stale if (entry.etag or entry.last_modified) else 0.0,
    )
    return remaining + float(extra)


def evaluate(entry: CacheEntry, request_cc: CacheControl, now: float) -> Lookup:
    """Decide how a stored response may answer a request at clock reading ``now``."""
    age = current_age(entry, now)
    lifetime = entry.lifetime
    cc = entry.cc
    revalidate = Lookup(Action.REVALIDATE, age, lifetime)
    if request_cc.no_cache or cc.no_cache:
        return revalidate
    if request_cc.max_age is not None and age > request_cc.max_age:
        return revalidate
    if request_cc.min_fresh is not None and lifetime - age < request_cc.min_fresh:
        return revalidate
    if lifetime > age:
        return Lookup(Action.FRESH, age, lifetime)
    if cc.must_revalidate:
        return revalidate
    staleness = age - lifetime
    if request_cc.max_stale is not None and staleness <= request_cc.max_stale:
        return Lookup(Action.STALE, age, lifetime)
    swr = cc.stale_while_revalidate
    if swr is not None and staleness <= swr:
        return Lookup(Action.STALE_WHILE_REVALIDATE, age, lifetime)
    return revalidate


def stale_if_error_allowed(
    entry: CacheEntry, request_cc: CacheControl, now: float, override: float | None = None
) -> bool:
    """Whether ``entry`` may answer a request whose origin failed (RFC 5861, 4).

    The window is the largest of the policy ``override``, the response's and the request's
    ``stale-if-error``. ``must-revalidate`` and ``no-cache`` responses are never served
    stale, except under an explicit policy ``override``.
    """
    staleness = max(0.0, current_age(entry, now) - entry.lifetime)
    if override is not None and staleness <= override:
        return True
    if entry.cc.must_revalidate or entry.cc.no_cache:
        return False
    windows = [w for w in (entry.cc.stale_if_error, request_cc.stale_if_error) if w is not None]
    return bool(windows) and staleness <= max(windows)
