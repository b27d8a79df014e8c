"""``HTTPMethod``: the request methods the clients send, and which of them are idempotent."""

from __future__ import annotations

import enum

__all__ = ["IDEMPOTENT_METHODS", "HTTPMethod"]


class HTTPMethod(str, enum.Enum):
    """An HTTP request method; the value is the upper-case token sent on the wire.

    ``HTTPMethod("get")`` is accepted too (the lookup is case-insensitive).

    Example:
        >>> HTTPMethod("post").is_idempotent
        False
    """

    GET = "GET"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"

    @property
    def is_idempotent(self) -> bool:
        """Whether repeating the request has the effect of sending it once (RFC 9110 9.2.2)."""
        return self.value in IDEMPOTENT_METHODS

    @property
    def is_safe(self) -> bool:
        """Whether the request only reads (GET, HEAD, OPTIONS): the cacheable ones."""
        return self.value in _SAFE

    @classmethod
    def _missing_(cls, value: object) -> HTTPMethod | None:
        if isinstance(value, str):
            upper = value.upper()
            for member in cls:
                if member.value == upper:
                    return member
        return None

    def __str__(self) -> str:
        return self.value


#: Methods retried without an idempotency key.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
