"""The caching rules of _freshness as a pure state machine: no I/O, no clock, no event loop."""

from __future__ import annotations

import math
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from paca.http._cache_control import EMPTY_CACHE_CONTROL, parse_cache_control
from paca.http._cache_validation import conditional_headers, freshen, invalidation_targets
from paca.http._exchange import RawResponse
from paca.http._freshness import (
    Action,
    CacheEntry,
    current_age,
    evaluate,
    freshness_lifetime,
    initial_age,
    make_entry,
    retention,
    stale_if_error_allowed,
    why_not_storable,
)

T0 = 1_700_000_000.0  # an arbitrary absolute instant for Date headers


def date(offset: float = 0.0) -> str:
    return formatdate(T0 + offset, usegmt=True)


def response(headers: dict[str, str] | list[tuple[str, str]], status: int = 200) -> RawResponse:
    return RawResponse.build(status, headers, b"body", "https://api.test/r")


def entry(
    headers: dict[str, str] | list[tuple[str, str]],
    *,
    status: int = 200,
    request_time: float = 0.0,
    response_time: float = 0.0,
    ttl: float | None = None,
    request_headers: CIMultiDict[str] | None = None,
) -> CacheEntry:
    return make_entry(
        response(headers, status),
        request_headers if request_headers is not None else CIMultiDict(),
        request_time=request_time,
        response_time=response_time,
        ttl_override=ttl,
    )


def lifetime(headers: dict[str, str], status: int = 200) -> float:
    r = response(headers, status)
    return freshness_lifetime(
        parse_cache_control(r.headers.get("Cache-Control")), r.headers, status
    )


# --- freshness lifetime ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "max-age=60"}, 60.0),
        ({"Cache-Control": "max-age=60", "Expires": date(10), "Date": date()}, 60.0),
        ({"Cache-Control": "s-maxage=60"}, 0.0),  # s-maxage is for shared caches
        ({"Expires": date(300), "Date": date()}, 300.0),
        ({"Expires": date(-300), "Date": date()}, 0.0),
        ({"Expires": "0", "Date": date()}, 0.0),  # invalid Expires: already expired
        ({"Expires": date(300)}, 0.0),  # no Date: no duration without the wall clock
        ({"Last-Modified": date(-1000), "Date": date()}, 100.0),  # heuristic: 10 %
        ({"Last-Modified": date(-(10**7)), "Date": date()}, 86_400.0),  # capped at a day
        ({"Last-Modified": date(1000), "Date": date()}, 0.0),  # modified in the future
        ({"Last-Modified": date(-1000)}, 0.0),  # heuristic needs Date
        ({}, 0.0),
    ],
)
def test_freshness_lifetime(headers: dict[str, str], expected: float) -> None:
    assert lifetime(headers) == expected


def test_heuristic_only_for_statuses_cacheable_by_default() -> None:
    headers = {"Last-Modified": date(-1000), "Date": date()}
    assert lifetime(headers, 404) == 100.0
    assert lifetime(headers, 302) == 0.0
    assert lifetime(headers, 500) == 0.0


@given(st.integers(0, 2**31), st.integers(0, 2**31))
def test_lifetime_is_monotonic_in_max_age(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert lifetime({"Cache-Control": f"max-age={low}"}) <= lifetime(
        {"Cache-Control": f"max-age={high}"}
    )


@given(st.floats(0, 10**6), st.floats(0, 10**6))
def test_staying_fresh_is_monotonic_in_time(t1: float, t2: float) -> None:
    e = entry({"Cache-Control": "max-age=1000"})
    early, late = sorted((t1, t2))
    if evaluate(e, EMPTY_CACHE_CONTROL, late).action is Action.FRESH:
        assert evaluate(e, EMPTY_CACHE_CONTROL, early).action is Action.FRESH


@given(
    st.dictionaries(
        st.sampled_from(
            ["Cache-Control", "Expires", "Date", "Last-Modified", "Age", "Vary", "ETag"]
        ),
        st.text(max_size=60),
    )
)
def test_rules_never_raise_on_arbitrary_headers(headers: dict[str, str]) -> None:
    r = response(headers)
    why_not_storable("GET", 200, EMPTY_CACHE_CONTROL, r.headers)
    e = make_entry(r, CIMultiDict(), request_time=0.0, response_time=1.0)
    assert e.lifetime >= 0
    assert math.isfinite(e.lifetime)
    evaluate(e, EMPTY_CACHE_CONTROL, 5.0)
    stale_if_error_allowed(e, EMPTY_CACHE_CONTROL, 5.0)
    freshen(e, response(headers, 304), request_time=6.0, response_time=7.0)


# --- age ---------------------------------------------------------------------------------------


def test_age_is_age_header_plus_delay_plus_residence() -> None:
    e = entry({"Age": "30", "Date": date(-1000)}, request_time=100.0, response_time=102.0)
    assert e.initial_age == 32.0  # Date is not used for the apparent age
    assert current_age(e, 110.0) == 40.0
    assert current_age(e, 50.0) == 32.0  # a clock reading before the response: no negative
    assert initial_age(CIMultiDict({"Age": "bad"}), 5.0, 4.0) == 0.0


# --- storable? ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "request_cc", "headers", "kwargs", "reason"),
    [
        ("GET", 200, "", {"Cache-Control": "max-age=5"}, {}, None),
        ("HEAD", 200, "", {"Cache-Control": "max-age=5"}, {}, None),
        ("POST", 200, "", {"Cache-Control": "max-age=5"}, {}, "method"),
        ("GET", 200, "no-store", {"Cache-Control": "max-age=5"}, {}, "request no-store"),
        ("GET", 200, "", {"Cache-Control": "no-store, max-age=5"}, {}, "response no-store"),
        ("GET", 200, "", {"Cache-Control": "private, max-age=5"}, {}, None),  # private cache
        ("GET", 206, "", {"Cache-Control": "max-age=5"}, {}, "status"),
        ("GET", 304, "", {"Cache-Control": "max-age=5"}, {}, "status"),
        ("GET", 101, "", {}, {}, "status"),
        ("GET", 200, "", {"ETag": '"x"'}, {}, None),  # heuristically cacheable status
        ("GET", 302, "", {}, {}, "status"),
        ("GET", 302, "", {"Cache-Control": "max-age=5"}, {}, None),
        ("GET", 500, "", {"Expires": date(5)}, {}, None),
        ("GET", 200, "", {"Vary": "*", "Cache-Control": "max-age=5"}, {}, "vary *"),
        (
            "GET",
            200,
            "",
            {"Cache-Control": "max-age=5"},
            {"authenticated": True},
            "authenticated request",
        ),
        (
            "GET",
            200,
            "",
            {"Cache-Control": "public, max-age=5"},
            {"authenticated": True},
            "authenticated request",
        ),
        (
            "GET",
            200,
            "",
            {"Cache-Control": "max-age=5"},
            {"authenticated": True, "store_authenticated": True},
            None,
        ),
        (
            "GET",
            200,
            "",
            {"Cache-Control": "max-age=5", "Set-Cookie": "s=1"},
            {"authenticated": True, "store_authenticated": True},
            "set-cookie on an authenticated request",
        ),
        ("GET", 200, "", {"Cache-Control": "max-age=5", "Set-Cookie": "s=1"}, {}, None),
        (
            "GET",
            200,
            "",
            {"Cache-Control": "max-age=5"},
            {"body_size": 11, "max_body_bytes": 10},
            "body too large",
        ),
        ("GET", 200, "", {"Cache-Control": "no-store"}, {"ttl_override": 60.0}, None),
        ("GET", 500, "", {"Cache-Control": "max-age=5"}, {"ttl_override": 60.0}, "status"),
        ("GET", 200, "no-store", {}, {"ttl_override": 60.0}, "request no-store"),
    ],
)
def test_storable_table(
    method: str,
    status: int,
    request_cc: str,
    headers: dict[str, str],
    kwargs: dict[str, object],
    reason: str | None,
) -> None:
    r = response(headers, status)
    got = why_not_storable(method, status, parse_cache_control(request_cc), r.headers, **kwargs)  # type: ignore[arg-type]
    assert got == reason


# --- lookup decisions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "request_cc", "now", "action"),
    [
        ({"Cache-Control": "max-age=60"}, "", 59.0, Action.FRESH),
        ({"Cache-Control": "max-age=60"}, "", 60.0, Action.REVALIDATE),
        ({"Cache-Control": "max-age=60"}, "no-cache", 1.0, Action.REVALIDATE),
        ({"Cache-Control": "no-cache, max-age=60"}, "", 1.0, Action.REVALIDATE),
        ({"Cache-Control": "max-age=60"}, "max-age=10", 11.0, Action.REVALIDATE),
        ({"Cache-Control": "max-age=60"}, "max-age=10", 10.0, Action.FRESH),
        ({"Cache-Control": "max-age=60"}, "min-fresh=20", 45.0, Action.REVALIDATE),
        ({"Cache-Control": "max-age=60"}, "min-fresh=20", 30.0, Action.FRESH),
        ({"Cache-Control": "max-age=60"}, "max-stale=10", 65.0, Action.STALE),
        ({"Cache-Control": "max-age=60"}, "max-stale=10", 75.0, Action.REVALIDATE),
        ({"Cache-Control": "max-age=60"}, "max-stale", 10**6, Action.STALE),
        ({"Cache-Control": "max-age=60, must-revalidate"}, "max-stale", 65.0, Action.REVALIDATE),
        (
            {"Cache-Control": "max-age=60, stale-while-revalidate=30"},
            "",
            80.0,
            Action.STALE_WHILE_REVALIDATE,
        ),
        ({"Cache-Control": "max-age=60, stale-while-revalidate=30"}, "", 91.0, Action.REVALIDATE),
        (
            {"Cache-Control": "max-age=60, stale-while-revalidate=30, must-revalidate"},
            "",
            80.0,
            Action.REVALIDATE,
        ),
        ({"Expires": date(100), "Date": date()}, "", 99.0, Action.FRESH),
        ({"Expires": date(100), "Date": date()}, "", 100.0, Action.REVALIDATE),
        ({"Cache-Control": "max-age=60", "Age": "50"}, "", 9.0, Action.FRESH),
        ({"Cache-Control": "max-age=60", "Age": "50"}, "", 10.0, Action.REVALIDATE),
    ],
)
def test_lookup_table(headers: dict[str, str], request_cc: str, now: float, action: Action) -> None:
    assert evaluate(entry(headers), parse_cache_control(request_cc), now).action is action


def test_lookup_reports_age_and_staleness() -> None:
    lookup = evaluate(entry({"Cache-Control": "max-age=60"}), EMPTY_CACHE_CONTROL, 75.0)
    assert (lookup.age, lookup.lifetime, lookup.staleness) == (75.0, 60.0, 15.0)


def test_ttl_override_ignores_the_origin_directives() -> None:
    e = entry({"Cache-Control": "no-cache, no-store, must-revalidate"}, ttl=30.0)
    assert e.overridden
    assert e.lifetime == 30.0
    assert evaluate(e, EMPTY_CACHE_CONTROL, 29.0).action is Action.FRESH
    assert evaluate(e, EMPTY_CACHE_CONTROL, 30.0).action is Action.REVALIDATE


@pytest.mark.parametrize(
    ("headers", "request_cc", "override", "now", "allowed"),
    [
        ({"Cache-Control": "max-age=10, stale-if-error=100"}, "", None, 110.0, True),
        ({"Cache-Control": "max-age=10, stale-if-error=100"}, "", None, 111.0, False),
        ({"Cache-Control": "max-age=10"}, "", None, 11.0, False),
        ({"Cache-Control": "max-age=10"}, "stale-if-error=5", None, 15.0, True),
        ({"Cache-Control": "max-age=10"}, "", 50.0, 60.0, True),
        ({"Cache-Control": "max-age=10"}, "", 50.0, 61.0, False),
        (
            {"Cache-Control": "max-age=10, stale-if-error=100, must-revalidate"},
            "",
            None,
            20.0,
            False,
        ),
        ({"Cache-Control": "no-cache, stale-if-error=100"}, "", None, 20.0, False),
        ({"Cache-Control": "max-age=10, must-revalidate"}, "", 50.0, 20.0, True),  # policy wins
    ],
)
def test_stale_if_error_table(
    headers: dict[str, str], request_cc: str, override: float | None, now: float, allowed: bool
) -> None:
    assert (
        stale_if_error_allowed(entry(headers), parse_cache_control(request_cc), now, override)
        is allowed
    )


# --- revalidation --------------------------------------------------------------------------------


def test_conditional_headers_come_from_the_validators() -> None:
    lm = date(-100)
    assert conditional_headers(entry({"ETag": '"v1"', "Last-Modified": lm})) == [
        ("If-None-Match", '"v1"'),
        ("If-Modified-Since", lm),
    ]
    assert conditional_headers(entry({"Cache-Control": "max-age=1"})) == []


def test_304_freshens_the_stored_response() -> None:
    stored = entry(
        [
            ("ETag", '"v1"'),
            ("Cache-Control", "max-age=10"),
            ("Content-Length", "4"),
            ("X-Old", "kept"),
            ("X-Multi", "a"),
            ("X-Multi", "b"),
        ]
    )
    not_modified = response(
        [
            ("ETag", '"v1"'),
            ("Cache-Control", "max-age=100"),
            ("Content-Length", "0"),
            ("X-Multi", "c"),
            ("Age", "3"),
        ],
        304,
    )
    fresh = freshen(stored, not_modified, request_time=50.0, response_time=51.0)
    assert fresh is not None
    assert fresh.response.status == 200
    assert fresh.response.body == b"body"
    assert fresh.response.headers["Cache-Control"] == "max-age=100"
    assert fresh.response.headers["Content-Length"] == "4"  # never from the 304
    assert fresh.response.headers["X-Old"] == "kept"
    assert fresh.response.headers.getall("X-Multi") == ["c"]
    assert fresh.lifetime == 100.0
    assert fresh.initial_age == 4.0
    assert evaluate(fresh, EMPTY_CACHE_CONTROL, 140.0).action is Action.FRESH


@pytest.mark.parametrize(
    ("stored", "new", "matches"),
    [
        ({"ETag": '"v1"'}, {"ETag": '"v1"'}, True),
        ({"ETag": '"v1"'}, {"ETag": 'W/"v1"'}, True),
        ({"ETag": '"v1"'}, {"ETag": '"v2"'}, False),
        ({"Last-Modified": date(-5)}, {"ETag": '"v2"'}, False),
        ({"ETag": '"v1"'}, {}, True),  # a 304 without validators: we asked about this one
        ({"Last-Modified": date(-5)}, {"Last-Modified": date(-5)}, True),
        ({"Last-Modified": date(-5)}, {"Last-Modified": date(-1)}, False),
    ],
)
def test_304_must_match_the_stored_validators(
    stored: dict[str, str], new: dict[str, str], matches: bool
) -> None:
    result = freshen(entry(stored), response(new, 304), request_time=1.0, response_time=1.0)
    assert (result is not None) is matches


def test_304_keeps_a_ttl_override() -> None:
    stored = entry({"ETag": '"v"'}, ttl=30.0)
    fresh = freshen(
        stored, response({"Cache-Control": "no-store"}, 304), request_time=5.0, response_time=5.0
    )
    assert fresh is not None
    assert fresh.lifetime == 30.0
    assert fresh.overridden


# --- retention and invalidation -----------------------------------------------------------------


def test_retention() -> None:
    assert retention(entry({"Cache-Control": "max-age=60"})) == 60.0
    assert retention(entry({"Cache-Control": "max-age=60", "Age": "20"})) == 40.0
    assert retention(entry({"Cache-Control": "max-age=60, stale-while-revalidate=30"})) == 90.0
    assert retention(entry({"Cache-Control": "max-age=60, stale-if-error=300"})) == 360.0
    assert retention(entry({"Cache-Control": "max-age=60"}), stale_if_error=100.0) == 160.0
    assert retention(entry({"Cache-Control": "max-age=60"}), keep_stale=1000.0) == 60.0
    assert retention(entry({"ETag": '"x"'}), keep_stale=1000.0) == 1000.0
    assert retention(entry({})) == 0.0  # nothing to gain from keeping it


@pytest.mark.parametrize(
    ("method", "status", "headers", "expected"),
    [
        ("GET", 200, {}, []),
        ("HEAD", 200, {}, []),
        ("OPTIONS", 200, {}, []),
        ("POST", 500, {}, []),
        ("POST", 404, {}, []),
        ("POST", 201, {}, ["https://api.test/items"]),
        ("DELETE", 204, {}, ["https://api.test/items"]),
        (
            "POST",
            201,
            {"Location": "/items/7", "Content-Location": "https://api.test/items/7?v=1"},
            ["https://api.test/items", "https://api.test/items/7", "https://api.test/items/7?v=1"],
        ),
        ("PUT", 303, {"Location": "https://evil.test/items"}, ["https://api.test/items"]),
        ("PATCH", 200, {"Location": "http://api.test/items"}, ["https://api.test/items"]),
    ],
)
def test_invalidation_targets(
    method: str, status: int, headers: dict[str, str], expected: list[str]
) -> None:
    assert invalidation_targets(method, "https://api.test/items", status, headers) == expected


def test_entry_size_counts_body_headers_and_url() -> None:
    small = entry({"Cache-Control": "max-age=1"})
    big = make_entry(
        RawResponse.build(200, {"Cache-Control": "max-age=1"}, b"x" * 1000, "https://api.test/r"),
        CIMultiDict(),
        request_time=0.0,
        response_time=0.0,
    )
    assert big.size - small.size == 1000 - len(b"body")


def test_vary_is_recorded_as_names_and_digest() -> None:
    e = entry(
        {"Vary": "Accept", "Cache-Control": "max-age=5"},
        request_headers=CIMultiDict(Accept="application/json"),
    )
    assert e.vary_names == ("accept",)
    assert "application/json" not in repr(e)
