"""APIEndpoint and path templates: validation and injection-proof escaping."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.http._endpoint import APIEndpoint, EndpointError, PathTemplate
from paca.http._methods import HTTPMethod
from paca.http._status import kind_for_status
from paca.result import ErrorKind


def test_methods() -> None:
    assert HTTPMethod("patch") is HTTPMethod.PATCH
    assert str(HTTPMethod.GET) == "GET"
    assert {m.value for m in HTTPMethod if m.is_idempotent} == {
        "GET", "HEAD", "OPTIONS", "PUT", "DELETE",
    }  # fmt: skip
    assert HTTPMethod.HEAD.is_safe
    assert not HTTPMethod.POST.is_safe
    with pytest.raises(ValueError, match="TRACE"):
        HTTPMethod("TRACE")


def test_endpoint_defaults_and_render() -> None:
    endpoint = APIEndpoint(name="get_post", url="/posts/{id}/comments/{cid}", method="get")
    assert endpoint.method is HTTPMethod.GET
    assert endpoint.render_path({"id": 1, "cid": "a b"}) == "/posts/1/comments/a%20b"
    assert dict(endpoint.headers) == {}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "non-empty"),
        ("posts", "must start with '/'"),
        ("ftp://host/x", "must start with '/'"),
        ("/posts?x=1", "must not contain"),
        ("/posts#frag", "must not contain"),
        ("/a b", "must not contain"),
        ("/a/../b", "'..' segments"),
        ("/a/{id", "unbalanced"),
        ("/a/{id}}", "unbalanced"),
        ("/a/{1x}", "identifier"),
        ("/a/{id}/{id}", "twice"),
        ("http://{host}/x", "path only"),
    ],
)
def test_malformed_urls_are_rejected(url: str, message: str) -> None:
    with pytest.raises(EndpointError, match=message):
        APIEndpoint(name="bad", url=url)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "has space"}, "identifier-like"),
        ({"name": ""}, "identifier-like"),
        ({"method": "FETCH"}, "unknown HTTP method"),
        ({"timeout": 0}, "timeout must be"),
        ({"timeout": True}, "timeout must be"),
    ],
)
def test_bad_endpoint_fields(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"name": "ok", "url": "/x", **kwargs}
    with pytest.raises(EndpointError, match=message):
        APIEndpoint(**options)  # type: ignore[arg-type]


def test_absolute_url_template() -> None:
    endpoint = APIEndpoint(name="abs", url="https://other.example/v1/{id}")
    assert endpoint.render_path({"id": "x/y"}) == "https://other.example/v1/x%2Fy"


@pytest.mark.parametrize("value", ["", ".", "..", None, True])
def test_unsafe_values_are_refused(value: object) -> None:
    with pytest.raises(EndpointError):
        PathTemplate("/files/{name}").render({"name": value})


def test_missing_and_unknown_params() -> None:
    template = PathTemplate("/a/{x}")
    with pytest.raises(EndpointError, match="needs the path parameter 'x'"):
        template.render({})
    with pytest.raises(EndpointError, match="no placeholder"):
        template.render({"x": 1, "y": 2})
    with pytest.raises(EndpointError, match="takes no path parameters"):
        PathTemplate("/plain").render({"x": 1})


@given(st.text(min_size=1).filter(lambda s: s not in (".", "..")))
def test_a_value_never_leaves_its_segment(value: str) -> None:
    rendered = PathTemplate("/files/{name}/raw").render({"name": value})
    assert rendered.startswith("/files/")
    assert rendered.endswith("/raw")
    segment = rendered[len("/files/") : -len("/raw")]
    for forbidden in ("/", "?", "#", "\\"):
        assert forbidden not in segment
    assert segment not in (".", "..")
    assert unquote(segment) == value


def test_status_mapping() -> None:
    assert kind_for_status(200) is None
    assert kind_for_status(299) is None
    assert kind_for_status(304) is ErrorKind.HTTP_STATUS
    assert kind_for_status(408) is ErrorKind.TIMEOUT
    assert kind_for_status(410) is ErrorKind.NOT_FOUND
    assert kind_for_status(599) is ErrorKind.HTTP_STATUS
