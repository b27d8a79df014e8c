"""Published test vectors and the behaviour of each verifier on well-formed input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from paca.result import Secret
from paca.webhooks._verifiers import (
    GitHubVerifier,
    HMACVerifier,
    SlackVerifier,
    StandardWebhooksVerifier,
    StripeVerifier,
)
from paca.webhooks._verify_protocol import VerificationError, VerifiedDelivery, Verifier

# --- Standard Webhooks: the spec's example -------------------------------------------------
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a published test secret
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SW_HEADERS = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS), "webhook-signature": SW_SIG}

# --- GitHub: the docs' example ---------------------------------------------------------------
GH_SECRET = "It's a Secret to Everybody"  # noqa: S105 - a published test secret
GH_BODY = b"Hello, World!"
GH_SIG = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

# --- Slack: the docs' example ("Verifying requests from Slack") ------------------------------
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105 - a published test secret
SLACK_TS = 1531420618
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

# --- Stripe: computed independently here (Stripe publishes no fixed vector) -----------------
STRIPE_SECRET = "whsec_test_secret"  # noqa: S105 - a published test secret
STRIPE_TS = 1700000000
STRIPE_BODY = b'{\n  "id": "evt_test_webhook",\n  "object": "event"\n}'


def _stripe_sig(secret: str, ts: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


def _reject(
    verifier: Verifier, headers: dict[str, str], body: bytes, now: float
) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verifier.verify(headers, body, now)
    assert info.value.status in {400, 401}
    return info.value


# ------------------------------------------------------------------------------------------ #
def test_standard_webhooks_spec_vector() -> None:
    delivery = StandardWebhooksVerifier([SW_SECRET]).verify(SW_HEADERS, SW_BODY, SW_TS)
    assert delivery == VerifiedDelivery(SW_ID, float(SW_TS), "standard-webhooks")


def test_standard_webhooks_spec_vector_secret_without_prefix_and_as_bytes() -> None:
    raw = base64.b64decode(SW_SECRET.removeprefix("whsec_"))
    for secret in (SW_SECRET.removeprefix("whsec_"), raw, Secret(SW_SECRET), Secret(raw)):
        assert StandardWebhooksVerifier(secret).verify(SW_HEADERS, SW_BODY, SW_TS).event_id == SW_ID


def test_standard_webhooks_headers_any_case_and_svix_aliases() -> None:
    verifier = StandardWebhooksVerifier([SW_SECRET])
    upper = {k.upper(): v for k, v in SW_HEADERS.items()}
    svix = {k.replace("webhook-", "Svix-"): v for k, v in SW_HEADERS.items()}
    assert verifier.verify(upper, SW_BODY, SW_TS).event_id == SW_ID
    assert verifier.verify(svix, SW_BODY, SW_TS).event_id == SW_ID


def test_standard_webhooks_several_entries_and_unknown_versions() -> None:
    headers = dict(SW_HEADERS)
    headers["webhook-signature"] = f"v2,abc v1,{'A' * 44} {SW_SIG}"
    assert StandardWebhooksVerifier([SW_SECRET]).verify(headers, SW_BODY, SW_TS).event_id == SW_ID


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        (
            {"webhook-signature": "v1,h0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
            401,
            "bad_signature",
        ),
        ({"webhook-id": "msg_other"}, 401, "bad_signature"),
        ({"webhook-timestamp": str(SW_TS + 1)}, 401, "bad_signature"),
        ({"webhook-signature": "v2,abc"}, 401, "unsupported_signature"),
        ({"webhook-signature": "v1,not base64!"}, 400, "malformed_signature"),
        ({"webhook-signature": "v1g0hM9SsE"}, 400, "malformed_signature"),
        ({"webhook-timestamp": "1614265330.5"}, 400, "malformed_timestamp"),
        ({"webhook-timestamp": "-1614265330"}, 400, "malformed_timestamp"),
        ({"webhook-id": "msg_é"}, 400, "malformed_header"),
        ({"webhook-signature": "v1,A " * 17}, 400, "too_many_signatures"),
        ({"webhook-signature": "x" * 9000}, 400, "header_too_large"),
        ({"webhook-signature": ""}, 401, "missing_signature"),
    ],
)
def test_standard_webhooks_rejections(change: dict[str, str], status: int, reason: str) -> None:
    error = _reject(StandardWebhooksVerifier([SW_SECRET]), {**SW_HEADERS, **change}, SW_BODY, SW_TS)
    assert (error.status, error.reason) == (status, reason)


@pytest.mark.parametrize(
    ("missing", "status"),
    [("webhook-signature", 401), ("webhook-id", 400), ("webhook-timestamp", 400)],
)
def test_standard_webhooks_missing_headers(missing: str, status: int) -> None:
    headers = {k: v for k, v in SW_HEADERS.items() if k != missing}
    assert _reject(StandardWebhooksVerifier([SW_SECRET]), headers, SW_BODY, SW_TS).status == status


def test_duplicate_header_in_two_cases_is_malformed() -> None:
    headers = {**SW_HEADERS, "Webhook-Signature": SW_SIG}
    error = _reject(StandardWebhooksVerifier([SW_SECRET]), headers, SW_BODY, SW_TS)
    assert (error.status, error.reason) == (400, "duplicate_header")


def test_body_must_be_the_raw_bytes() -> None:
    verifier = StandardWebhooksVerifier([SW_SECRET])
    assert verifier.verify(SW_HEADERS, bytearray(SW_BODY), SW_TS).event_id == SW_ID  # type: ignore[arg-type]
    assert _reject(verifier, SW_HEADERS, SW_BODY + b" ", SW_TS).reason == "bad_signature"
    assert _reject(verifier, SW_HEADERS, SW_BODY.decode(), SW_TS).status == 400  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ #
def test_github_docs_vector() -> None:
    headers = {"X-Hub-Signature-256": GH_SIG, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab"}
    delivery = GitHubVerifier([GH_SECRET]).verify(headers, GH_BODY, 0.0)
    assert delivery == VerifiedDelivery("72d3162e-cc78-11e3-81ab", None, "github")


def test_github_without_delivery_id_and_lowercase_headers() -> None:
    delivery = GitHubVerifier(GH_SECRET).verify({"x-hub-signature-256": GH_SIG}, GH_BODY, 1e9)
    assert delivery.event_id is None


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({}, 401, "missing_signature"),
        ({"X-Hub-Signature": "sha1=01234567"}, 401, "missing_signature"),
        ({"X-Hub-Signature-256": "sha1=" + GH_SIG[7:]}, 401, "unsupported_signature"),
        ({"X-Hub-Signature-256": GH_SIG[:-1] + "0"}, 401, "bad_signature"),
        ({"X-Hub-Signature-256": GH_SIG.upper()}, 401, "unsupported_signature"),
        ({"X-Hub-Signature-256": GH_SIG + "0"}, 400, "malformed_signature"),
        ({"X-Hub-Signature-256": "sha256=zz"}, 400, "malformed_signature"),
    ],
)
def test_github_rejections(headers: dict[str, str], status: int, reason: str) -> None:
    error = _reject(GitHubVerifier([GH_SECRET]), headers, GH_BODY, 0.0)
    assert (error.status, error.reason) == (status, reason)


def test_github_hex_is_case_insensitive() -> None:
    headers = {"X-Hub-Signature-256": "sha256=" + GH_SIG[7:].upper()}
    assert GitHubVerifier([GH_SECRET]).verify(headers, GH_BODY, 0.0).scheme == "github"


# ------------------------------------------------------------------------------------------ #
def test_slack_docs_vector() -> None:
    headers = {"X-Slack-Signature": SLACK_SIG, "X-Slack-Request-Timestamp": str(SLACK_TS)}
    delivery = SlackVerifier([SLACK_SECRET]).verify(headers, SLACK_BODY, SLACK_TS + 10)
    assert delivery == VerifiedDelivery(None, float(SLACK_TS), "slack")


def test_slack_vector_matches_an_independent_computation() -> None:
    base = b"v0:" + str(SLACK_TS).encode() + b":" + SLACK_BODY
    assert "v0=" + hmac.new(SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest() == SLACK_SIG


def test_slack_rejections() -> None:
    verifier = SlackVerifier([SLACK_SECRET])
    no_ts = {"X-Slack-Signature": SLACK_SIG}
    assert _reject(verifier, no_ts, SLACK_BODY, SLACK_TS).reason == "missing_timestamp"
    late = {"X-Slack-Signature": SLACK_SIG, "X-Slack-Request-Timestamp": str(SLACK_TS)}
    assert _reject(verifier, late, SLACK_BODY, SLACK_TS + 301).reason == "timestamp_too_old"
    assert _reject(verifier, late, SLACK_BODY, SLACK_TS - 301).reason == "timestamp_in_future"


# ------------------------------------------------------------------------------------------ #
def test_stripe_independent_vector_and_several_v1_entries() -> None:
    sig = _stripe_sig(STRIPE_SECRET, STRIPE_TS, STRIPE_BODY)
    verifier = StripeVerifier([STRIPE_SECRET])
    headers = {"Stripe-Signature": f"t={STRIPE_TS},v1={sig},v0=6ffbb59b2300aae63f27240"}
    assert verifier.verify(headers, STRIPE_BODY, STRIPE_TS) == VerifiedDelivery(
        None, float(STRIPE_TS), "stripe"
    )
    rolled = {"Stripe-Signature": f"t={STRIPE_TS},v1={'0' * 64},v1={sig}"}
    assert verifier.verify(rolled, STRIPE_BODY, STRIPE_TS).scheme == "stripe"


@pytest.mark.parametrize(
    ("header", "status", "reason"),
    [
        ("t=1700000000", 401, "unsupported_signature"),
        ("v1=" + "0" * 64, 400, "malformed_timestamp"),
        ("t=1700000000,t=1700000000,v1=" + "0" * 64, 400, "malformed_timestamp"),
        ("t=abc,v1=" + "0" * 64, 400, "malformed_timestamp"),
        ("t=1700000000,v1", 400, "malformed_header"),
        ("t=1700000000,v1=xyz", 400, "malformed_signature"),
        ("t=1700000000,v1=" + "0" * 64, 401, "bad_signature"),
        ("t=1700000000" + ",v1=00" * 17, 400, "too_many_signatures"),
    ],
)
def test_stripe_rejections(header: str, status: int, reason: str) -> None:
    error = _reject(StripeVerifier([STRIPE_SECRET]), {"Stripe-Signature": header}, b"{}", STRIPE_TS)
    assert (error.status, error.reason) == (status, reason)


# ------------------------------------------------------------------------------------------ #
def test_generic_hmac_sha512_base64_with_template_id_and_timestamp() -> None:
    verifier = HMACVerifier(
        [b"key"],
        scheme="acme",
        signature_header="X-Acme-Signature",
        algorithm="sha512",
        encoding="base64",
        prefix="v2:",
        template="{id}|{timestamp}|{{literal}}|{body}",
        timestamp_header="X-Acme-Time",
        id_header="X-Acme-Id",
        separator=" ",
    )
    message = b"evt_1|1700000000|{literal}|payload"
    digest = base64.b64encode(hmac.new(b"key", message, hashlib.sha512).digest()).decode()
    headers = {
        "X-Acme-Signature": f"v1:ignored v2:{digest}",
        "X-Acme-Time": "1700000000",
        "X-Acme-Id": "evt_1",
    }
    delivery = verifier.verify(headers, b"payload", 1700000100.0)
    assert delivery == VerifiedDelivery("evt_1", 1700000000.0, "acme")
    without_id = {k: v for k, v in headers.items() if k != "X-Acme-Id"}
    assert _reject(verifier, without_id, b"payload", 1700000100.0).reason == "missing_header"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithm": "md5"},
        {"encoding": "base32"},
        {"signature_header": ""},
        {"separator": ""},
        {"template": "{body"},
        {"template": "{other}"},
        {"template": "{body!r}"},
        {"template": "{timestamp}.{body}"},
        {"template": "{id}.{body}"},
        {"timestamp_header": "X-T"},
        {"tolerance": -1},
        {"tolerance": float("nan")},
        {"secrets": []},
        {"secrets": [""]},
    ],
)
def test_generic_hmac_rejects_bad_configuration(kwargs: dict[str, object]) -> None:
    config: dict[str, object] = {"secrets": ["k"], "signature_header": "X-Sig", **kwargs}
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        HMACVerifier(**config)  # type: ignore[arg-type]


def test_bad_configuration_types() -> None:
    with pytest.raises(TypeError):
        HMACVerifier([1], signature_header="X")  # type: ignore[list-item]
    with pytest.raises(TypeError):
        StripeVerifier(["k"], tolerance="300")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "secret", ["whsec_!!!", "whsec_", "whpk_AAAA", "whsk_" + "A" * 43 + "=", Secret("whsec_@")]
)
def test_standard_webhooks_rejects_bad_keys(secret: str | Secret[str]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        StandardWebhooksVerifier([secret])


def test_every_verifier_satisfies_the_protocol() -> None:
    verifiers: list[Verifier] = [
        StandardWebhooksVerifier([SW_SECRET]),
        StripeVerifier([STRIPE_SECRET]),
        GitHubVerifier([GH_SECRET]),
        SlackVerifier([SLACK_SECRET]),
        HMACVerifier(["k"], signature_header="X-Sig"),
    ]
    assert [v.scheme for v in verifiers] == [
        "standard-webhooks",
        "stripe",
        "github",
        "slack",
        "hmac",
    ]


@pytest.mark.parametrize("now", [float("nan"), float("inf"), True, "1614265330", None])
def test_an_unusable_clock_is_refused(now: object) -> None:
    verifier = StandardWebhooksVerifier([SW_SECRET])
    assert _reject(verifier, SW_HEADERS, SW_BODY, now).reason == "invalid_clock"  # type: ignore[arg-type]


def test_a_broken_mapping_and_non_text_values_are_malformed() -> None:
    class Broken(dict[str, str]):
        def items(self):  # type: ignore[no-untyped-def]
            raise RuntimeError

    verifier = StandardWebhooksVerifier([SW_SECRET])
    assert _reject(verifier, Broken(), SW_BODY, SW_TS).reason == "malformed_headers"
    odd = {**SW_HEADERS, "webhook-id": b"msg"}
    assert _reject(verifier, odd, SW_BODY, SW_TS).reason == "malformed_header"  # type: ignore[arg-type]
    keyed: dict[object, str] = {1: "x"}
    keyed.update(SW_HEADERS)
    assert verifier.verify(keyed, SW_BODY, SW_TS).event_id == SW_ID  # type: ignore[arg-type]


def test_generic_hmac_bounds_the_number_of_entries() -> None:
    verifier = HMACVerifier(["k"], signature_header="X-Sig", separator=",")
    error = _reject(verifier, {"X-Sig": ",".join(["00"] * 17)}, b"", 0.0)
    assert (error.status, error.reason) == (400, "too_many_signatures")


def test_a_v1a_entry_of_the_wrong_length_is_ignored() -> None:
    short = "v1a," + base64.b64encode(b"\x00" * 63).decode()
    headers = {**SW_HEADERS, "webhook-signature": f"{short} {SW_SIG}"}
    assert StandardWebhooksVerifier([SW_SECRET]).verify(headers, SW_BODY, SW_TS).event_id == SW_ID
    alone = {**SW_HEADERS, "webhook-signature": short}
    assert _reject(StandardWebhooksVerifier([SW_SECRET]), alone, SW_BODY, SW_TS).status == 401


def test_whpk_keys_without_cryptography_say_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.ed25519", None)
    public = "whpk_" + base64.b64encode(b"\x01" * 32).decode()
    with pytest.raises(ImportError, match=r"paca-webhooks\[ed25519\]"):
        StandardWebhooksVerifier([public])
    # v1 secrets need no crypto library
    assert (
        StandardWebhooksVerifier([SW_SECRET]).verify(SW_HEADERS, SW_BODY, SW_TS).event_id == SW_ID
    )


def test_aiohttp_style_multidict_headers() -> None:
    verifier = StandardWebhooksVerifier([SW_SECRET])
    proxy = CIMultiDictProxy(CIMultiDict({k.title(): v for k, v in SW_HEADERS.items()}))
    assert verifier.verify(proxy, SW_BODY, SW_TS).event_id == SW_ID
    repeated = CIMultiDict(SW_HEADERS)
    repeated.add("Webhook-Signature", "v1,AAAA")
    error = _reject(verifier, repeated, SW_BODY, SW_TS)  # type: ignore[arg-type]
    assert (error.status, error.reason) == (400, "duplicate_header")
