"""Request signing: known-answer vectors computed here with hmac/hashlib, custom signers."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from paca.http._auth import AuthManager
from paca.http._auth_protocol import AuthTicket, AuthVerdict
from paca.http._exchange import OutgoingRequest
from paca.http._signing import (
    HmacSigner,
    Signer,
    SigningInput,
    canonical_query,
    canonical_request,
)
from paca.resilience import FakeClock
from paca.result import Secret

SECRET = "whsec_CANARY_0b1c2d3e"  # noqa: S105 - a test canary
EPOCH = 1_700_000_123.75
BODY = b'{"amount": 1500, "currency": "EUR", "note": "caf\xc3\xa9"}'


def expected_hex(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def post() -> OutgoingRequest:
    req = OutgoingRequest(
        "post",
        "https://api.test/v1/payments",
        params=[("z", "last"), ("a", "x y"), ("a", "1"), ("é", "ü/?")],
        body=BODY,
    )
    req.headers["Content-Type"] = "application/json"
    req.headers["X-Request-Id"] = "  r-42 "
    return req


async def test_default_hmac_sha256_known_answer() -> None:
    clock = FakeClock(EPOCH)
    auth = AuthManager.hmac(SECRET, key_id="key-1", wall_clock=clock.now)
    req = post()
    ticket = await auth.apply(req, None)  # type: ignore[arg-type]
    string_to_sign = "\n".join(
        [
            "POST",
            "https://api.test/v1/payments",
            "a=1&a=x%20y&z=last&%C3%A9=%C3%BC%2F%3F",
            "1700000123",
            hashlib.sha256(BODY).hexdigest(),
        ]
    )
    assert req.headers["X-Signature"] == expected_hex(SECRET.encode(), string_to_sign)
    assert req.headers["X-Timestamp"] == "1700000123"
    assert req.headers["X-Key-Id"] == "key-1"
    assert req.params[0] == ("z", "last")  # the request itself is not reordered
    assert ticket == AuthTicket("hmac", Secret(SECRET).fingerprint(), 0)


async def test_configured_headers_signed_headers_base64_and_prefix() -> None:
    auth = AuthManager.hmac(
        Secret(SECRET.encode()),
        signature_header="X-Sig",
        timestamp_header="X-Sig-Time",
        signed_headers=["Content-Type", "X-Request-Id", "X-Absent"],
        encoding="base64",
        signature_prefix="sha256=",
        wall_clock=lambda: EPOCH,
    )
    req = post()
    await auth.apply(req, None)  # type: ignore[arg-type]
    text = "\n".join(
        [
            "POST",
            "https://api.test/v1/payments",
            "a=1&a=x%20y&z=last&%C3%A9=%C3%BC%2F%3F",
            "1700000123",
            "content-type:application/json",
            "x-request-id:r-42",
            "x-absent:",
            hashlib.sha256(BODY).hexdigest(),
        ]
    )
    digest = hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).digest()
    assert req.headers["X-Sig"] == "sha256=" + base64.b64encode(digest).decode()
    assert req.headers["X-Sig-Time"] == "1700000123"
    assert "X-Key-Id" not in req.headers
    assert "X-Signature" not in req.headers


async def test_custom_canonical_string_like_stripe_webhooks() -> None:
    def stripe_like(message: SigningInput) -> bytes:
        return f"{int(message.timestamp)}.".encode() + message.body

    auth = AuthManager.hmac(
        SECRET, canonical=stripe_like, timestamp_header=None, wall_clock=lambda: EPOCH
    )
    req = post()
    await auth.apply(req, None)  # type: ignore[arg-type]
    expected = hmac.new(SECRET.encode(), b"1700000123." + BODY, hashlib.sha256).hexdigest()
    assert req.headers["X-Signature"] == expected
    assert "X-Timestamp" not in req.headers


async def test_empty_body_and_get_without_query() -> None:
    auth = AuthManager.hmac(SECRET, wall_clock=lambda: 0.0)
    req = OutgoingRequest("GET", "https://api.test/v1/ping")
    await auth.apply(req, None)  # type: ignore[arg-type]
    text = "GET\nhttps://api.test/v1/ping\n\n0\n" + hashlib.sha256(b"").hexdigest()
    assert req.headers["X-Signature"] == expected_hex(SECRET.encode(), text)


async def test_signing_again_replaces_the_headers() -> None:
    times = iter([EPOCH, EPOCH + 60])
    auth = AuthManager.hmac(SECRET, wall_clock=lambda: next(times))
    req = post()
    await auth.apply(req, None)  # type: ignore[arg-type]
    first = req.headers["X-Signature"]
    await auth.apply(req, None)  # type: ignore[arg-type]
    assert req.headers.getall("X-Signature") != [first]
    assert len(req.headers.getall("X-Signature")) == 1
    assert req.headers["X-Timestamp"] == "1700000183"


async def test_a_pluggable_signer_sees_exactly_what_is_sent() -> None:
    seen: list[SigningInput] = []

    class Recorder:
        def sign(self, message: SigningInput) -> dict[str, str]:
            seen.append(message)
            return {"Authorization": "Custom ok"}

    signer = Recorder()
    assert isinstance(signer, Signer)
    auth = AuthManager.signing(signer, fingerprint="kms:key-9", wall_clock=lambda: EPOCH)
    req = post()
    ticket = await auth.apply(req, None)  # type: ignore[arg-type]
    assert ticket == AuthTicket("hmac", "kms:key-9")
    assert req.headers["Authorization"] == "Custom ok"
    (message,) = seen
    assert message.method == "POST"
    assert message.url == "https://api.test/v1/payments"
    assert message.query == (("a", "1"), ("a", "x y"), ("z", "last"), ("é", "ü/?"))
    assert message.headers["content-type"] == "application/json"
    assert message.body == BODY
    assert message.timestamp == EPOCH
    assert auth.on_response(ticket, 401, {}) is AuthVerdict.PROCEED


async def test_an_async_signer_is_awaited() -> None:
    class Remote:
        async def sign(self, message: SigningInput) -> dict[str, str]:
            return {"X-Remote-Sig": message.method}

    auth = AuthManager.signing(Remote(), wall_clock=lambda: EPOCH)
    req = post()
    await auth.apply(req, None)  # type: ignore[arg-type]
    assert req.headers["X-Remote-Sig"] == "POST"


def test_helpers() -> None:
    assert canonical_query([("b", "2"), ("a", "~-_. +")]) == "a=~-_.%20%2B&b=2"
    message = SigningInput("PUT", "https://x.test/", (), {"X-A": " v "}, b"", 5.9)
    assert canonical_request(message, ["x-a"]).splitlines()[3:5] == ["5", "x-a:v"]


def test_signer_validation() -> None:
    with pytest.raises(ValueError, match="empty"):
        HmacSigner("")
    with pytest.raises(ValueError, match="encoding"):
        HmacSigner("s", encoding="base32")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sign"):
        AuthManager.signing(object())  # type: ignore[arg-type]


def test_default_wall_clock_is_unix_time() -> None:
    auth = AuthManager.hmac(SECRET)
    req = OutgoingRequest("GET", "https://api.test/")
    import asyncio

    asyncio.run(auth.apply(req, None))  # type: ignore[arg-type]
    assert int(req.headers["X-Timestamp"]) > 1_600_000_000


def test_repr_shows_no_secret() -> None:
    signer = HmacSigner(SECRET, key_id="key-1")
    assert SECRET not in repr(signer)
    assert repr(signer).startswith("HmacSigner(key_id='key-1', fingerprint='sha256:")
    auth = AuthManager.hmac(SECRET)
    assert repr(auth) == (
        f"AuthManager(scheme='hmac', signer=HmacSigner, "
        f"fingerprint='{Secret(SECRET).fingerprint()}')"
    )
