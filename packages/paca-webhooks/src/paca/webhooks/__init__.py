"""Verified, deduplicated, durable webhook intake on aiohttp.

WebhookHandler: verified, deduplicated, durable webhook intake with retries and dead letters, on
aiohttp.

This package is being built: its public names (WebhookHandler) arrive with the issue that
implements them.
"""

__all__: list[str] = []
