"""Cache-Control, HTTP-date and Age parsing, and cache keys: table-driven and property-based."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from paca.http._cache_control import (
    DELTA_MAX,
    EMPTY_CACHE_CONTROL,
    CacheControl,
    parse_age,
    parse_cache_control,
    parse_delta,
    parse_http_date,
)
from paca.http._cache_key import (
    NO_VARY,
    normalize_url,
    primary_key,
    same_origin,
    split_query,
    vary_digest,
    vary_names,
)

EPOCH_1994 = 784111777.0  # Sun, 06 Nov 1994 08:49:37 GMT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=60", CacheControl(max_age=60)),
        ("MAX-AGE=60", CacheControl(max_age=60)),
        (" max-age = 60 ", CacheControl(max_age=60)),
        ('max-age="60"', CacheControl(max_age=60)),
        ("max-age=60, max-age=10", CacheControl(max_age=60)),  # the first wins
        ("max-age=abc", CacheControl(max_age=0)),  # invalid: stale
        ("max-age=-1", CacheControl(max_age=0)),
        ("max-age", CacheControl(max_age=0)),
        ("max-age=99999999999999", CacheControl(max_age=DELTA_MAX)),
        ("s-maxage=5, public", CacheControl(s_maxage=5, public=True)),
        ("no-store", CacheControl(no_store=True)),
        ("no-cache", CacheControl(no_cache=True)),
        (
            'no-cache="Set-Cookie, X-Foo", private',
            CacheControl(no_cache=True, no_cache_fields=("set-cookie", "x-foo"), private=True),
        ),
        (
            "must-revalidate, proxy-revalidate",
            CacheControl(must_revalidate=True, proxy_revalidate=True),
        ),
        ("immutable, no-transform", CacheControl(immutable=True, no_transform=True)),
        (
            "max-age=1, stale-while-revalidate=30, stale-if-error=600",
            CacheControl(max_age=1, stale_while_revalidate=30, stale_if_error=600),
        ),
        ("stale-if-error=soon", CacheControl()),  # invalid optional window: ignored
        ("max-stale", CacheControl(max_stale=math.inf)),
        ("max-stale=20", CacheControl(max_stale=20.0)),
        ("max-stale=x", CacheControl()),
        ("min-fresh=5, only-if-cached", CacheControl(min_fresh=5, only_if_cached=True)),
        ('community="UCI", max-age=3', CacheControl(max_age=3)),  # extensions ignored
        ('foo="a,b", max-age=3', CacheControl(max_age=3)),  # comma inside quotes
        ('foo="a\\"b,c", max-age=3', CacheControl(max_age=3)),  # escaped quote
        (",,, ,", EMPTY_CACHE_CONTROL),
        ("", EMPTY_CACHE_CONTROL),
    ],
)
def test_cache_control_table(value: str, expected: CacheControl) -> None:
    assert parse_cache_control(value) == expected


def test_cache_control_joins_field_lines() -> None:
    assert parse_cache_control(["max-age=5", "no-cache, max-age=9"]) == CacheControl(
        max_age=5, no_cache=True
    )
    assert parse_cache_control(None) is EMPTY_CACHE_CONTROL
    assert parse_cache_control([]) is EMPTY_CACHE_CONTROL


@given(st.text())
def test_cache_control_never_raises(value: str) -> None:
    cc = parse_cache_control(value)
    assert cc.max_age is None or 0 <= cc.max_age <= DELTA_MAX


@given(st.lists(st.text(alphabet='abcdemaxgst-=",\\ 0123456789', max_size=40), max_size=4))
def test_cache_control_never_raises_on_directive_soup(values: list[str]) -> None:
    parse_cache_control(values)


@given(st.integers(min_value=0, max_value=10**20))
def test_max_age_round_trips_capped(n: int) -> None:
    assert parse_cache_control(f"max-age={n}").max_age == min(n, DELTA_MAX)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (" 42 ", 42),
        ("4294967296", DELTA_MAX),
        ("1" * 50, DELTA_MAX),
        ("-1", None),
        ("1.5", None),
        ("", None),
        ("٣", None),  # a non-ASCII digit is not a delta-seconds
        (None, None),
    ],
)
def test_delta_seconds(value: str | None, expected: int | None) -> None:
    assert parse_delta(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", EPOCH_1994),  # IMF-fixdate
        ("Sunday, 06-Nov-94 08:49:37 GMT", EPOCH_1994),  # RFC 850
        ("Sun Nov  6 08:49:37 1994", EPOCH_1994),  # asctime
        ("0", None),
        ("-1", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        ("Thu, 99 Foo 2025 00:00:00 GMT", None),
    ],
)
def test_http_dates(value: str | None, expected: float | None) -> None:
    assert parse_http_date(value) == expected


@given(st.text())
def test_http_date_and_age_never_raise(value: str) -> None:
    parse_http_date(value)
    age = parse_age(value)
    assert age is None or 0 <= age <= DELTA_MAX


@pytest.mark.parametrize(
    ("value", "expected"), [("10", 10), ("10, 20", 10), ("x", None), (None, None), ("-5", None)]
)
def test_age(value: str | None, expected: int | None) -> None:
    assert parse_age(value) == expected


# --- keys -------------------------------------------------------------------------------------


def test_primary_key_sorts_the_query_and_normalises_the_url() -> None:
    a = primary_key("GET", "HTTPS://Example.COM:443/a", [("b", "2"), ("a", "1")])
    b = primary_key("get", "https://example.com/a?a=1", [("b", "2")])
    c = primary_key("GET", "https://example.com/a?b=2&a=1#frag")
    assert a == b == c
    assert len(a) == 64
    assert int(a, 16) >= 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("GET", "https://x.test/a", ()), ("HEAD", "https://x.test/a", ())),
        (("GET", "https://x.test/a", ()), ("GET", "https://x.test/A", ())),
        (("GET", "https://x.test/a", ()), ("GET", "http://x.test/a", ())),
        (("GET", "https://x.test/a", [("q", "1")]), ("GET", "https://x.test/a", [("q", "2")])),
        (("GET", "https://x.test/a", [("q", "1")]), ("GET", "https://x.test/a", [("q", "1")] * 2)),
        (("GET", "https://u:p@x.test/a", ()), ("GET", "https://v:p@x.test/a", ())),
    ],
)
def test_primary_keys_differ(
    a: tuple[str, str, list[tuple[str, str]]], b: tuple[str, str, list[tuple[str, str]]]
) -> None:
    assert primary_key(*a) != primary_key(*b)


def test_partition_splits_keys() -> None:
    url = "https://x.test/a"
    assert primary_key("GET", url, (), "alice") != primary_key("GET", url, (), "bob")
    assert primary_key("GET", url, (), "alice") != primary_key("GET", url)


@given(st.text(), st.lists(st.tuples(st.text(), st.text()), max_size=4))
def test_primary_key_never_raises(url: str, params: list[tuple[str, str]]) -> None:
    key = primary_key("GET", url, params)
    assert len(key) == 64


@given(st.permutations([("a", "1"), ("b", "2"), ("a", "0"), ("c", "")]))
def test_primary_key_ignores_parameter_order(params: list[tuple[str, str]]) -> None:
    assert primary_key("GET", "https://x.test/p", params) == primary_key(
        "GET", "https://x.test/p", sorted(params)
    )


def test_normalize_url() -> None:
    assert normalize_url("HTTP://Host:80") == "http://host/"
    assert normalize_url("https://host:8443/p?x") == "https://host:8443/p?x"
    assert normalize_url("https://[::1]:443/p") == "https://[::1]/p"
    assert normalize_url("https://host:bad/p#f") == "https://host:bad/p"


def test_split_query() -> None:
    assert split_query("https://x/a?b=1&c=#f", [("d", "2")]) == (
        "https://x/a",
        [("b", "1"), ("c", ""), ("d", "2")],
    )


def test_vary_names_and_digest() -> None:
    headers = CIMultiDict([("Vary", "Accept, accept-language"), ("Vary", "X-A")])
    assert vary_names(headers) == ("accept", "accept-language", "x-a")
    assert vary_names(CIMultiDict([("Vary", "Accept, *")])) is None
    assert vary_names(CIMultiDict()) == ()
    assert vary_digest((), CIMultiDict()) == NO_VARY
    names = ("accept",)
    json = vary_digest(names, CIMultiDict(Accept="application/json"))
    assert json == vary_digest(names, CIMultiDict(accept="application/json"))
    assert json == vary_digest(names, CIMultiDict(Accept="application/json  "[:-2]))
    assert json != vary_digest(names, CIMultiDict(Accept="text/html"))
    absent = vary_digest(names, CIMultiDict())
    assert absent != vary_digest(names, CIMultiDict(Accept=""))
    joined = vary_digest(names, CIMultiDict([("Accept", "a"), ("Accept", "b")]))
    assert joined == vary_digest(names, CIMultiDict(Accept="a,   b"))


def test_vary_digest_hides_values() -> None:
    digest = vary_digest(("authorization",), CIMultiDict(Authorization="Bearer CANARY"))
    assert "CANARY" not in digest


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://x.test/a", "https://X.test:443/b", True),
        ("https://x.test/a", "http://x.test/a", False),
        ("https://x.test/a", "https://y.test/a", False),
        ("https://x.test:8443/a", "https://x.test/a", False),
        ("https://x.test:bad/a", "https://x.test/a", False),
    ],
)
def test_same_origin(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same
