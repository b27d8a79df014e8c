"""Property tests: hostile input only ever yields VerificationError; windows; rotation."""

from __future__ import annotations

from importlib.util import find_spec

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from paca.webhooks._signing import (
    generate_standard_webhook_keypair,
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
from paca.webhooks._verify_protocol import VerificationError, Verifier

SW_OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_NEW = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
NOW = 1_700_000_000

GENERIC = HMACVerifier(
    ["generic-secret"],
    signature_header="X-Sig",
    algorithm="sha512",
    encoding="base64",
    prefix="s=",
    template="{id}:{timestamp}:{body}",
    timestamp_header="X-Time",
    id_header="X-Id",
    separator=",",
)
# ed25519 (v1a) needs the optional `cryptography` (paca-webhooks[ed25519]).
PAIR = generate_standard_webhook_keypair() if find_spec("cryptography") else None
PUBLIC_KEYS = [PAIR.public_key] if PAIR else []
VERIFIERS: list[Verifier] = [
    StandardWebhooksVerifier([SW_OLD, SW_NEW, *PUBLIC_KEYS]),
    StripeVerifier(["whsec_stripe"]),
    GitHubVerifier(["gh"]),
    SlackVerifier(["slack"]),
    GENERIC,
]

HEADER_NAMES = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "Stripe-Signature",
    "X-Hub-Signature-256",
    "X-GitHub-Delivery",
    "X-Slack-Signature",
    "X-Slack-Request-Timestamp",
    "X-Sig",
    "X-Time",
    "X-Id",
]
FRAGMENTS = [
    "v1,",
    "v1a,",
    "v2,",
    " ",
    ",",
    "=",
    "t=",
    "v1=",
    "sha256=",
    "v0=",
    "s=",
    "1700000000",
    "-1",
    "1e9",
    "msg_1",
    "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    "0" * 64,
    "é",
    "\x00",
    "\ud800",
    "\t",
    "\n",
]


def _random_case(name: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c.lower()
        for c, f in zip(name, flips + [False] * len(name), strict=False)
    )


header_names = st.one_of(
    st.builds(_random_case, st.sampled_from(HEADER_NAMES), st.lists(st.booleans(), max_size=30)),
    st.text(max_size=20),
)
header_values = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
    st.text(alphabet="0123456789abcdefABCDEF+/=,v1 ", max_size=300),
    st.integers(min_value=0, max_value=20_000).map(lambda n: "v1," + "A" * n),
)
headers_strategy = st.dictionaries(header_names, header_values, max_size=8)
bodies = st.one_of(st.binary(max_size=300), st.just(b""))
clocks = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=NOW - 1000, max_value=NOW + 1000).map(float),
)


def _error(
    verifier: Verifier, headers: object, body: object, now: object
) -> VerificationError | None:
    """The VerificationError raised, or None on success (anything else propagates)."""
    try:
        verifier.verify(headers, body, now)  # type: ignore[arg-type]
    except VerificationError as error:
        return error
    return None


def _only_verification_errors(
    verifier: Verifier, headers: object, body: object, now: object
) -> None:
    error = _error(verifier, headers, body, now)
    if error is not None:
        assert error.status in {400, 401}
        assert error.reason


@settings(max_examples=300)
@given(headers=headers_strategy, body=bodies, now=clocks)
def test_arbitrary_input_only_raises_verification_error(
    headers: dict[str, str], body: bytes, now: float
) -> None:
    for verifier in VERIFIERS:
        _only_verification_errors(verifier, headers, body, now)


def _valid_deliveries(body: bytes, ts: int) -> list[tuple[Verifier, dict[str, str]]]:
    v1a = (
        [(VERIFIERS[0], sign_standard_webhook(PAIR.secret_key, "msg_1", ts, body))] if PAIR else []
    )
    return [
        *v1a,
        (VERIFIERS[0], sign_standard_webhook(SW_NEW, "msg_1", ts, body)),
        (VERIFIERS[1], sign_stripe("whsec_stripe", ts, body)),
        (VERIFIERS[2], sign_github("gh", body, delivery_id="d-1")),
        (VERIFIERS[3], sign_slack("slack", ts, body)),
        (VERIFIERS[4], sign_hmac(GENERIC, body, timestamp=ts, event_id="e-1")),
    ]


@settings(max_examples=200)
@given(
    body=bodies,
    index=st.integers(min_value=0, max_value=10_000),
    replacement=st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)),
    drop=st.booleans(),
)
def test_mutated_valid_headers_only_raise_verification_error(
    body: bytes, index: int, replacement: str, drop: bool
) -> None:
    for verifier, headers in _valid_deliveries(body, NOW):
        assert verifier.verify(headers, body, NOW).scheme == verifier.scheme
        _only_verification_errors(
            verifier, CIMultiDict([*headers.items(), *headers.items()]), body, NOW
        )
        name = sorted(headers)[index % len(headers)]
        value = headers[name]
        cut = index % (len(value) + 1)
        mutated = dict(headers)
        if drop:
            del mutated[name]
        else:
            mutated[name] = value[:cut] + replacement + value[cut + 1 :]
        _only_verification_errors(verifier, mutated, body, NOW)
        _only_verification_errors(verifier, headers, body + b"x", NOW)


@given(body=bodies, skew=st.integers(min_value=-10_000, max_value=10_000))
def test_tolerance_both_directions(body: bytes, skew: int) -> None:
    for verifier, headers in _valid_deliveries(body, NOW + skew):
        if verifier.scheme == "github":  # GitHub signs no timestamp
            assert verifier.verify(headers, body, NOW).event_id == "d-1"
            continue
        if abs(skew) <= 300:
            assert verifier.verify(headers, body, NOW).timestamp == NOW + skew
            continue
        error = _error(verifier, headers, body, NOW)
        assert error is not None, f"{verifier.scheme} accepted a skew of {skew}s"
        expected = "timestamp_too_old" if skew < 0 else "timestamp_in_future"
        assert (error.status, error.reason) == (401, expected)


@given(
    tolerance=st.integers(min_value=0, max_value=3600),
    skew=st.integers(min_value=-7200, max_value=7200),
)
def test_configured_tolerance(tolerance: int, skew: int) -> None:
    verifier = StandardWebhooksVerifier([SW_NEW], tolerance=tolerance)
    headers = sign_standard_webhook(SW_NEW, "m", NOW + skew, b"{}")
    error = _error(verifier, headers, b"{}", NOW)
    if abs(skew) <= tolerance:
        assert error is None
    else:
        assert error is not None
        assert error.status == 401


@given(body=bodies, msg_id=st.text(alphabet="abcdefghijklmnop_0123456789", min_size=1))
def test_rotation_old_secret_verifies_while_configured(body: bytes, msg_id: str) -> None:
    old_headers = sign_standard_webhook(SW_OLD, msg_id, NOW, body)
    both = StandardWebhooksVerifier([SW_NEW, SW_OLD])
    assert both.verify(old_headers, body, NOW).event_id == msg_id
    error = _error(StandardWebhooksVerifier([SW_NEW]), old_headers, body, NOW)
    assert error is not None, "a removed secret still verifies"
    assert (error.status, error.reason) == (401, "bad_signature")


@given(body=bodies)
def test_rotation_for_provider_schemes(body: bytes) -> None:
    pairs: list[tuple[Verifier, dict[str, str]]] = [
        (StripeVerifier(["new", "old"]), sign_stripe("old", NOW, body)),
        (GitHubVerifier(["new", "old"]), sign_github("old", body)),
        (SlackVerifier(["new", "old"]), sign_slack("old", NOW, body)),
    ]
    for verifier, headers in pairs:
        assert verifier.verify(headers, body, NOW).scheme == verifier.scheme


@given(body=bodies, other=st.binary(max_size=50))
def test_a_changed_body_never_verifies(body: bytes, other: bytes) -> None:
    assume(other != body)
    for verifier, headers in _valid_deliveries(body, NOW):
        error = _error(verifier, headers, other, NOW)
        assert error is not None, f"{verifier.scheme} accepted a changed body"
        assert (error.status, error.reason) == (401, "bad_signature")
