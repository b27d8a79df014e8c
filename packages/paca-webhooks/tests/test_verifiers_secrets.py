"""Secrets and signatures never show in a repr, a str, or an error."""

from __future__ import annotations

import base64
from importlib.util import find_spec

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.result import Secret
from paca.webhooks._signing import generate_standard_webhook_keypair, sign_standard_webhook
from paca.webhooks._verifiers import (
    GitHubVerifier,
    HMACVerifier,
    SlackVerifier,
    StandardWebhooksVerifier,
    StripeVerifier,
)
from paca.webhooks._verify_protocol import VerificationError, Verifier

SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
NOW = 1_700_000_000
PLAIN = "super-secret-signing-key-123"


def _verifiers() -> list[Verifier]:
    return [
        StandardWebhooksVerifier([SW_SECRET, Secret(SW_SECRET.replace("M", "N"))]),
        StripeVerifier([PLAIN]),
        GitHubVerifier([PLAIN]),
        SlackVerifier([PLAIN]),
        HMACVerifier([PLAIN], signature_header="X-Sig"),
    ]


def _fragments(secret: str) -> list[str]:
    core = secret.removeprefix("whsec_")
    return [secret, core, core[:12], base64.b64decode(core + "==").hex()[:12]]


@pytest.mark.parametrize("verifier", _verifiers(), ids=lambda v: v.scheme)
def test_repr_and_str_show_fingerprints_only(verifier: Verifier) -> None:
    text = repr(verifier) + str(verifier)
    for fragment in [*_fragments(SW_SECRET), PLAIN, PLAIN[:8]]:
        assert fragment not in text
    assert "sha256:" in text


@pytest.mark.skipif(find_spec("cryptography") is None, reason="needs paca-webhooks[ed25519]")
def test_public_keys_do_not_show_either() -> None:
    pair = generate_standard_webhook_keypair()
    assert pair.public_key not in repr(StandardWebhooksVerifier([pair.public_key]))
    assert pair.secret_key.reveal() not in repr(pair) + str(pair)


NAMES = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "Stripe-Signature",
    "X-Hub-Signature-256",
    "X-Slack-Signature",
    "X-Slack-Request-Timestamp",
    "X-Sig",
]
# Signature-like values: 16+ characters without "_", "-" or spaces cannot occur by chance in
# the fixed error texts, so finding one there means it was echoed.
VALUES = st.tuples(
    st.sampled_from(["", "v1,", "v1a,", "t=1,v1=", "sha256=", "v0="]),
    st.from_regex(r"[A-Za-z0-9+/=]{16,80}", fullmatch=True),
).map("".join)


@given(headers=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=5))
def test_errors_carry_no_secret_and_no_signature(headers: dict[str, str]) -> None:
    for verifier in _verifiers():
        try:
            verifier.verify(headers, b"{}", 1_700_000_000.0)
        except VerificationError as error:
            text = f"{error} {error!r} {error.reason} {error.args}"
            for fragment in [*_fragments(SW_SECRET), PLAIN]:
                assert fragment not in text
            for value in headers.values():
                assert value[-16:] not in text


def test_a_wrong_signature_is_not_echoed() -> None:
    headers = sign_standard_webhook(SW_SECRET, "msg_1", 1_700_000_000, b"{}")
    sent = headers["webhook-signature"]
    with pytest.raises(VerificationError) as info:
        StandardWebhooksVerifier([SW_SECRET.replace("M", "N")]).verify(headers, b"{}", NOW)
    assert sent not in str(info.value)
    assert sent.split(",")[1] not in repr(info.value)


@pytest.mark.parametrize("secret", ["whsec_!!!not-base64!!!", "whpk_!!!!"])
def test_configuration_errors_do_not_echo_the_secret(secret: str) -> None:
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the message is what is checked
        StandardWebhooksVerifier([secret])
    assert "!!!" not in str(info.value)
