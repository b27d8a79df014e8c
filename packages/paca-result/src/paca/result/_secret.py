"""Secrets that never print: ``Secret[T]``, ``redact`` and ``redact_url``."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Generic, TypeVar, overload

__all__ = ["MASK", "Secret", "redact", "redact_url"]

MASK = "***"
S = TypeVar("S", str, bytes)

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#@\s]*)@")
_URL_SECRET_QUERY = re.compile(
    r"(?P<name>[?&;](?:password|passwd|pwd|secret|token|access_token|api_key|apikey|key|sig|"
    r"signature|client_secret)=)[^&;#\s]*",
    re.IGNORECASE,
)


class Secret(Generic[S]):
    """A secret value (password, API key, token) that prints as ``***``.

    ``repr``, ``str`` and f-strings show the mask, so a secret held in a
    config object cannot leak through logs, reprs or error messages. Call
    :meth:`reveal` at the one place the real value is needed (a header, a
    driver call). Equality is constant-time.

    Example:
        >>> key = Secret("sk_live_123")
        >>> f"key={key}"
        'key=***'
        >>> key.reveal()
        'sk_live_123'
    """

    __slots__ = ("_value",)

    def __init__(self, value: S) -> None:
        if isinstance(value, Secret):
            msg = "Secret(...) got a Secret; pass the raw value or reuse the Secret"
            raise TypeError(msg)
        if not isinstance(value, (str, bytes)):
            msg = f"a Secret holds str or bytes, not {type(value).__name__}"
            raise TypeError(msg)
        self._value: S = value

    @overload
    @staticmethod
    def from_env(name: str) -> Secret[str] | None: ...

    @overload
    @staticmethod
    def from_env(name: str, default: str) -> Secret[str]: ...

    @staticmethod
    def from_env(name: str, default: str | None = None) -> Secret[str] | None:
        """Read a secret from the environment variable ``name``.

        Returns:
            The secret, ``Secret(default)`` when the variable is unset and a
            default is given, else ``None``.
        """
        value = os.environ.get(name, default)
        return None if value is None else Secret(value)

    def reveal(self) -> S:
        """Return the real value. Call it only where the value is used."""
        return self._value

    def fingerprint(self) -> str:
        """A short, stable, non-reversible label for logs and events.

        Two different secrets almost surely get different fingerprints; the
        fingerprint does not disclose the secret beyond that.
        """
        raw = self._value.encode() if isinstance(self._value, str) else self._value
        return "sha256:" + hashlib.sha256(raw).hexdigest()[:10]

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret) or type(other._value) is not type(self._value):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)


def redact(text: str, *secrets: Secret[str] | str | None) -> str:
    """Replace every occurrence of the given secrets in ``text`` by ``***``.

    Use it on messages that come from outside code (a driver's error text can
    quote a connection string). Empty and ``None`` secrets are skipped.
    Longer secrets are replaced first, so one that contains another is masked
    whole.
    """
    values = {s.reveal() if isinstance(s, Secret) else s for s in secrets}
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def redact_url(url: str) -> str:
    """Mask the password of every URL in ``url``, and secret query values.

    ``postgresql://app:pw@db/x`` becomes ``postgresql://app:***@db/x``; a
    user name is kept, as are host, path and other parameters; a lone
    credential (``redis://token@host``) is masked whole.
    """

    def userinfo(match: re.Match[str]) -> str:
        user, sep, _password = match["userinfo"].partition(":")
        masked = f"{user}:{MASK}" if sep else MASK
        return f"{match['scheme']}{masked}@"

    url = _URL_USERINFO.sub(userinfo, url)
    return _URL_SECRET_QUERY.sub(lambda m: m["name"] + MASK, url)
