"""Cross-checks with ``standardwebhooks``, the reference library of the spec (v1 HMAC).

The reference reads the real clock, so these tests sign with the current time and give ours the
same ``now``. It decodes bodies as UTF-8, so bodies here are text.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paca.webhooks._signing import generate_standard_webhook_secret, sign_standard_webhook
from paca.webhooks._verifiers import StandardWebhooksVerifier
from paca.webhooks._verify_protocol import VerificationError

standardwebhooks = pytest.importorskip("standardwebhooks")

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the spec's test secret
ids = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
bodies = st.text(max_size=500)


@settings(max_examples=100, deadline=None)
@given(msg_id=ids, body=bodies)
def test_signed_by_the_reference_verified_by_ours(msg_id: str, body: str) -> None:
    now = time.time()
    stamp = datetime.fromtimestamp(int(now), tz=timezone.utc)
    signature = standardwebhooks.Webhook(SECRET).sign(msg_id, stamp, body)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": signature,
    }
    delivery = StandardWebhooksVerifier([SECRET]).verify(headers, body.encode(), now)
    assert delivery.event_id == msg_id


@settings(max_examples=100, deadline=None)
@given(msg_id=ids, body=bodies)
def test_signed_by_ours_verified_by_the_reference(msg_id: str, body: str) -> None:
    headers = sign_standard_webhook(SECRET, msg_id, time.time(), body.encode())
    standardwebhooks.Webhook(SECRET).verify(body.encode(), headers, json_parse=False)


@settings(max_examples=30, deadline=None)
@given(body=bodies)
def test_generated_secrets_work_with_the_reference(body: str) -> None:
    secret = generate_standard_webhook_secret().reveal()
    headers = sign_standard_webhook(secret, "msg_1", time.time(), body)
    standardwebhooks.Webhook(secret).verify(body.encode(), headers, json_parse=False)


@settings(max_examples=50, deadline=None)
@given(msg_id=ids, body=bodies, tampered=st.text(min_size=1, max_size=5))
def test_both_reject_a_tampered_body(msg_id: str, body: str, tampered: str) -> None:
    headers = sign_standard_webhook(SECRET, msg_id, time.time(), body)
    changed = (body + tampered).encode()
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(SECRET).verify(changed, headers, json_parse=False)
    with pytest.raises(VerificationError):
        StandardWebhooksVerifier([SECRET]).verify(headers, changed, time.time())
