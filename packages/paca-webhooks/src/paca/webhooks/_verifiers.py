"""The signature verifiers, one per scheme, all implementing :class:`Verifier`.

Each checks the RAW body bytes against its headers with a constant-time comparison, accepts
any of several configured secrets (rotation), checks signed timestamps in both directions
against the ``now`` it is given, and turns malformed input of any kind into
:class:`VerificationError` (400 malformed, 401 not authentic). Secrets are held as
:class:`paca.result.Secret` and appear in no repr and no error.

- :class:`StandardWebhooksVerifier`: Standard Webhooks / Svix, v1 (HMAC) and v1a (ed25519).
- :class:`StripeVerifier`, :class:`GitHubVerifier`, :class:`SlackVerifier`.
- :class:`HMACVerifier`: any other HMAC scheme, configured by header names and a template.
"""

from paca.webhooks._verify_hmac import HMACVerifier
from paca.webhooks._verify_providers import GitHubVerifier, SlackVerifier, StripeVerifier
from paca.webhooks._verify_standard import StandardWebhooksVerifier

__all__ = [
    "GitHubVerifier",
    "HMACVerifier",
    "SlackVerifier",
    "StandardWebhooksVerifier",
    "StripeVerifier",
]
