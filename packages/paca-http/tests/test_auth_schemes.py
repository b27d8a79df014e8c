"""Static schemes: each one decorates an OutgoingRequest with exact values."""

from __future__ import annotations

import base64
import inspect

import pytest

from paca.http._auth import AuthManager
from paca.http._auth_protocol import AuthProvider, AuthTicket, AuthVerdict
from paca.http._exchange import OutgoingRequest
from paca.result import Secret

URL = "https://api.test/v1/items"


def request() -> OutgoingRequest:
    return OutgoingRequest("GET", URL, params=[("page", "2")])


def test_auth_manager_has_every_method_of_the_protocol_with_the_same_signature() -> None:
    for name in ("apply", "on_response", "on_network_error"):
        ours = inspect.signature(getattr(AuthManager, name))
        theirs = inspect.signature(getattr(AuthProvider, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert inspect.iscoroutinefunction(getattr(AuthManager, name)) == (
            inspect.iscoroutinefunction(getattr(AuthProvider, name))
        )


async def test_api_key_goes_in_x_api_key_by_default() -> None:
    req = request()
    ticket = await AuthManager.api_key("k-123").apply(req, None)
    assert req.headers["X-API-Key"] == "k-123"
    assert req.params == [("page", "2")]
    assert ticket == AuthTicket("api_key", Secret("k-123").fingerprint(), 0)


async def test_api_key_in_a_named_header_with_a_prefix() -> None:
    req = request()
    await AuthManager.api_key(Secret("k-123"), header="Authorization", prefix="Token ").apply(
        req, None
    )
    assert req.headers.getall("Authorization") == ["Token k-123"]


async def test_api_key_in_the_query_replaces_an_earlier_value() -> None:
    req = OutgoingRequest("GET", URL, params=[("api_key", "old"), ("page", "2")])
    auth = AuthManager.api_key("k-123", query_param="api_key")
    await auth.apply(req, None)
    await auth.apply(req, None)  # a retry reusing the request does not add it twice
    assert req.params == [("page", "2"), ("api_key", "k-123")]
    assert "X-API-Key" not in req.headers


async def test_header_is_replaced_not_repeated_on_a_second_apply() -> None:
    req = request()
    req.headers["x-api-key"] = "stale"
    auth = AuthManager.api_key("k-123")
    await auth.apply(req, None)
    await auth.apply(req, None)
    assert req.headers.getall("X-API-Key") == ["k-123"]


async def test_bearer() -> None:
    req = request()
    ticket = await AuthManager.bearer("tok-1").apply(req, None)
    assert req.headers["Authorization"] == "Bearer tok-1"
    assert ticket.scheme == "bearer"
    assert ticket.fingerprint == Secret("tok-1").fingerprint()


async def test_basic_is_rfc_7617_utf8() -> None:
    req = request()
    await AuthManager.basic("Aladdin", "open sesame").apply(req, None)
    assert req.headers["Authorization"] == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    req = request()
    await AuthManager.basic("tést", Secret("pä:ss")).apply(req, None)
    expected = base64.b64encode("tést:pä:ss".encode()).decode()
    assert req.headers["Authorization"] == f"Basic {expected}"


def test_basic_user_with_a_colon_is_refused() -> None:
    with pytest.raises(ValueError, match="':'"):
        AuthManager.basic("a:b", "pw")


@pytest.mark.parametrize(
    ("header", "query"),
    [("X-Key", "key"), ("", None), (None, "")],
)
def test_bad_placements_are_refused(header: str | None, query: str | None) -> None:
    with pytest.raises(ValueError, match="header"):
        AuthManager.api_key("k", header=header, query_param=query)


def test_empty_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        AuthManager.api_key("")
    with pytest.raises(ValueError, match="empty"):
        AuthManager.bearer(Secret(""))


def test_constructor_wants_a_scheme() -> None:
    with pytest.raises(TypeError, match="constructor"):
        AuthManager(object())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "auth",
    [
        AuthManager.api_key("k"),
        AuthManager.bearer("t"),
        AuthManager.basic("u", "p"),
    ],
    ids=["api_key", "bearer", "basic"],
)
@pytest.mark.parametrize("status", [200, 401, 403, 429, 500])
def test_static_schemes_always_proceed(auth: AuthManager, status: int) -> None:
    ticket = AuthTicket(auth.scheme, "x")
    assert auth.on_response(ticket, status, {"Retry-After": "1"}) is AuthVerdict.PROCEED
    auth.on_network_error(ticket)
    assert auth.pool is None


def test_repr_names_scheme_and_placement() -> None:
    auth = AuthManager.api_key("k-123", query_param="key")
    text = repr(auth)
    assert text.startswith("AuthManager(scheme='api_key', query='key', fingerprint='sha256:")
    assert "k-123" not in text
    assert repr(AuthManager.basic("u", "p")).startswith("AuthManager(scheme='basic'")
