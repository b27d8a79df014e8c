"""The events an :class:`~paca.http.AuthManager` emits to its listeners.

Events name credentials only by their fingerprint (``Secret.fingerprint()``, e.g.
``"sha256:0a1b2c3d4e"``), never by value, so a listener may log them as they are. They are
built only when someone listens, so they cost nothing on the hot path otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["AuthEvent", "KeyCooldown", "KeyQuarantined", "KeyRotated", "TokenRefreshed"]


@dataclass(frozen=True, slots=True)
class KeyRotated:
    """A pooled key was taken out after a response; later calls get another key.

    Attributes:
        pool: The pool's name.
        previous: Fingerprint of the key that failed.
        current: Fingerprint of the key the next call will get, ``None`` when every key is
            cooling down or quarantined.
        reason: ``"rate_limited"`` (429), ``"payment_required"`` (402), ``"quota"`` (quota
            headers saying nothing is left) or ``"unauthorized"`` (401).
    """

    pool: str
    previous: str
    current: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class KeyCooldown:
    """A pooled key is not handed out for a while (its quota is spent).

    Attributes:
        pool: The pool's name.
        key: The key's fingerprint.
        seconds: How long it cools down, from now.
        reason: ``"rate_limited"``, ``"payment_required"`` or ``"quota"``.
        source: Where the duration came from: ``"retry-after"``, ``"ratelimit"`` (IETF
            reset fields), ``"x-ratelimit"`` (``X-RateLimit-Reset``) or ``"default"``.
    """

    pool: str
    key: str
    seconds: float
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class KeyQuarantined:
    """A pooled key was rejected by the server (401) and is not handed out any more.

    Attributes:
        pool: The pool's name.
        key: The key's fingerprint.
        seconds: How long the quarantine lasts; ``None`` until ``KeyPool.restore``.
        reason: ``"unauthorized"``.
    """

    pool: str
    key: str
    seconds: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class TokenRefreshed:
    """An OAuth2 access token was fetched from the token endpoint.

    Attributes:
        token_url: The token endpoint (secret query values masked).
        fingerprint: The new token's fingerprint.
        version: The token generation (1 for the first token, then 2, 3...).
        expires_in: Lifetime in seconds the server gave, ``None`` if it gave none.
    """

    token_url: str
    fingerprint: str
    version: int
    expires_in: float | None


AuthEvent: TypeAlias = KeyRotated | KeyCooldown | KeyQuarantined | TokenRefreshed
"""Any event of an ``AuthManager``."""
