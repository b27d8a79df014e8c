"""The distribution as installed: its metadata, its typing marker, its public names."""

import importlib.metadata
import importlib.resources
import sys
from pathlib import Path

import paca.webhooks

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_installed_version_is_the_version_in_the_tree() -> None:
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert importlib.metadata.version("paca-webhooks") == declared


def test_ships_py_typed() -> None:
    assert importlib.resources.files("paca.webhooks").joinpath("py.typed").is_file()


def test_public_names_are_pinned() -> None:
    assert set(paca.webhooks.__all__) == {
        "WebhookHandler", "WebhookEvent", "EventHandler", "Inbox", "SQLiteInbox", "RedisInbox",
        "StoredEvent", "InboxUnavailableError", "Verifier", "VerifiedDelivery",
        "VerificationError", "StandardWebhooksVerifier", "StripeVerifier", "GitHubVerifier",
        "SlackVerifier", "HMACVerifier", "sign_standard_webhook", "sign_stripe", "sign_github",
        "sign_slack", "sign_hmac", "generate_standard_webhook_secret",
        "generate_standard_webhook_keypair", "Ed25519KeyPair", "WebhookEventRecord",
        "WebhookReceived", "WebhookDuplicate", "WebhookRejected", "WebhookAcknowledged",
        "WebhookProcessed", "WebhookRetried", "WebhookDeadLettered",
    }  # fmt: skip
    for name in paca.webhooks.__all__:
        assert getattr(paca.webhooks, name) is not None


def test_importing_the_package_loads_no_optional_driver() -> None:
    import subprocess
    import sys

    mods = "('redis', 'cryptography')"
    code = f"import sys, paca.webhooks; print([m for m in {mods} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
