"""The signing helpers: published vectors, round trips with the verifiers, ed25519 keys."""

from __future__ import annotations

import base64
import sys
from importlib.util import find_spec

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.result import Secret
from paca.webhooks._signing import (
    Ed25519KeyPair,
    generate_standard_webhook_keypair,
    generate_standard_webhook_secret,
    sign_github,
    sign_hmac,
    sign_slack,
    sign_standard_webhook,
    sign_stripe,
)
from paca.webhooks._verifiers import (
    GitHubVerifier,
    HMACVerifier,
    SlackVerifier,
    StandardWebhooksVerifier,
    StripeVerifier,
)
from paca.webhooks._verify_protocol import VerificationError

NOW = 1_700_000_000
needs_crypto = pytest.mark.skipif(
    find_spec("cryptography") is None, reason="needs paca-webhooks[ed25519]"
)


def test_standard_webhooks_spec_vector() -> None:
    headers = sign_standard_webhook(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_svix_header_names_and_float_timestamps() -> None:
    secret = generate_standard_webhook_secret()
    headers = sign_standard_webhook(secret, "m", NOW + 0.9, "{}", svix=True)
    assert sorted(headers) == ["svix-id", "svix-signature", "svix-timestamp"]
    assert headers["svix-timestamp"] == str(NOW)


def test_github_docs_vector() -> None:
    headers = sign_github(Secret("It's a Secret to Everybody"), "Hello, World!", delivery_id="d")
    assert headers == {
        "X-Hub-Signature-256": (
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        ),
        "X-GitHub-Delivery": "d",
    }
    assert len(sign_github("s", b"")["X-GitHub-Delivery"]) == 36


def test_slack_docs_vector() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
        "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sign_slack("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)
    assert headers == {
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "X-Slack-Request-Timestamp": "1531420618",
    }


def test_stripe_header_shape() -> None:
    header = sign_stripe("whsec_x", NOW, b"{}")["Stripe-Signature"]
    t, v1 = header.split(",")
    assert t == f"t={NOW}"
    assert v1.startswith("v1=")
    assert len(v1) == 3 + 64


@given(body=st.binary(max_size=200), msg_id=st.from_regex(r"[A-Za-z0-9_]{1,30}", fullmatch=True))
def test_every_helper_round_trips_with_its_verifier(body: bytes, msg_id: str) -> None:
    secret = generate_standard_webhook_secret()
    assert (
        StandardWebhooksVerifier([secret])
        .verify(sign_standard_webhook(secret, msg_id, NOW, body), body, NOW)
        .event_id
        == msg_id
    )
    assert StripeVerifier("k").verify(sign_stripe("k", NOW, body), body, NOW).timestamp == NOW
    github = sign_github("k", body, delivery_id=msg_id)
    assert GitHubVerifier("k").verify(github, body, 0).event_id == msg_id
    assert SlackVerifier("k").verify(sign_slack("k", NOW, body), body, NOW).scheme == "slack"


@needs_crypto
def test_ed25519_keypair_round_trip_and_mixed_keys() -> None:
    pair = generate_standard_webhook_keypair()
    assert isinstance(pair, Ed25519KeyPair)
    assert pair.secret_key.reveal().startswith("whsk_")
    assert pair.public_key.startswith("whpk_")
    assert len(base64.b64decode(pair.public_key[5:])) == 32
    headers = sign_standard_webhook(pair.secret_key, "msg_1", NOW, b"{}")
    assert headers["webhook-signature"].startswith("v1a,")
    both = StandardWebhooksVerifier(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", pair.public_key])
    assert both.verify(headers, b"{}", NOW).event_id == "msg_1"
    other = generate_standard_webhook_keypair()
    with pytest.raises(VerificationError) as info:
        StandardWebhooksVerifier([other.public_key]).verify(headers, b"{}", NOW)
    assert (info.value.status, info.value.reason) == (401, "bad_signature")
    with pytest.raises(VerificationError):
        StandardWebhooksVerifier([pair.public_key]).verify(headers, b"{ }", NOW)


@needs_crypto
def test_ed25519_seed_only_private_key_and_combined_header() -> None:
    pair = generate_standard_webhook_keypair()
    seed = base64.b64decode(pair.secret_key.reveal()[5:])[:32]
    seed_only = "whsk_" + base64.b64encode(seed).decode()
    v1a = sign_standard_webhook(seed_only, "m", NOW, b"x")["webhook-signature"]
    v1 = sign_standard_webhook("whsec_" + "A" * 32, "m", NOW, b"x")["webhook-signature"]
    headers = {"webhook-id": "m", "webhook-timestamp": str(NOW), "webhook-signature": f"{v1} {v1a}"}
    assert StandardWebhooksVerifier([pair.public_key]).verify(headers, b"x", NOW).event_id == "m"
    with pytest.raises(ValueError):  # noqa: PT011
        sign_standard_webhook("whsk_AAAA", "m", NOW, b"x")


@needs_crypto
def test_a_verifier_refuses_a_private_key() -> None:
    pair = generate_standard_webhook_keypair()
    with pytest.raises(ValueError, match="whpk_"):
        StandardWebhooksVerifier([pair.secret_key])


def test_sign_hmac_follows_the_verifier_configuration() -> None:
    verifier = HMACVerifier(
        ["first", "second"],
        signature_header="X-Sig",
        encoding="base64",
        algorithm="sha512",
        template="{id}.{timestamp}.{body}",
        timestamp_header="X-Time",
        id_header="X-Id",
    )
    headers = sign_hmac(verifier, "{}", timestamp=NOW, event_id="e1")
    assert sorted(headers) == ["X-Id", "X-Sig", "X-Time"]
    assert verifier.verify(headers, b"{}", NOW).event_id == "e1"
    rotated = sign_hmac(verifier, b"{}", timestamp=NOW, event_id="e1", secret="second")  # noqa: S106
    assert verifier.verify(rotated, b"{}", NOW).event_id == "e1"
    with pytest.raises(ValueError, match="timestamp"):
        sign_hmac(verifier, b"{}", event_id="e1")
    with pytest.raises(ValueError, match="event id"):
        sign_hmac(verifier, b"{}", timestamp=NOW)


def test_sign_hmac_for_github_and_slack_verifiers() -> None:
    github = GitHubVerifier(["gh"])
    assert github.verify(sign_hmac(github, b"x", event_id="d1"), b"x", 0).event_id == "d1"
    slack = SlackVerifier(["sl"])
    assert slack.verify(sign_hmac(slack, b"x", timestamp=NOW), b"x", NOW).scheme == "slack"


def test_generated_secrets_differ_and_stay_masked() -> None:
    first, second = generate_standard_webhook_secret(), generate_standard_webhook_secret()
    assert first != second
    assert repr(first) == "Secret('***')"
    assert first.reveal().startswith("whsec_")


def test_without_cryptography_the_ed25519_helpers_say_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.ed25519", None)
    with pytest.raises(ImportError, match=r"paca-webhooks\[ed25519\]"):
        generate_standard_webhook_keypair()
    with pytest.raises(ImportError, match=r"paca-webhooks\[ed25519\]"):
        sign_standard_webhook("whsk_" + "A" * 43 + "=", "m", NOW, b"x")
