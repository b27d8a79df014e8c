"""The events of ``UniversalAPIClient``, given to listeners registered with ``add_listener``.

Events carry no secret: URLs are redacted and never include the query string; auth is named
by scheme and fingerprint only. Building an event is skipped entirely when no one listens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from paca.result import ErrorKind

__all__ = ["AuthRetried", "HTTPEvent", "RateLimitPaused", "RequestFinished"]


@dataclass(frozen=True, slots=True)
class RequestFinished:
    """A call (all its attempts) finished.

    Attributes:
        method: The HTTP method.
        url: The redacted URL without its query string.
        host: ``host:port`` the call went to.
        endpoint: The registered endpoint name, or ``None``.
        status: The last HTTP status, or ``None`` when no response came.
        kind: The failure's kind, ``None`` on success.
        attempts: Attempts made.
        elapsed: Seconds for the whole call.
        cache: The cache status (``"hit"``, ``"miss"``...), ``None`` without a cache.
    """

    method: str
    url: str
    host: str
    endpoint: str | None
    status: int | None
    kind: ErrorKind | None
    attempts: int
    elapsed: float
    cache: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.kind is None


@dataclass(frozen=True, slots=True)
class RateLimitPaused:
    """A response (a 429, or rate-limit headers) paused a rate-limit bucket.

    Attributes:
        host: ``host:port`` of the response.
        key: The rate-limit key paused.
        seconds: How long, as far as the headers said (``None``: the default pause).
        status: The status of the response.
    """

    host: str
    key: str
    seconds: float | None
    status: int


@dataclass(frozen=True, slots=True)
class AuthRetried:
    """The auth layer asked to send an attempt again with new credentials.

    Attributes:
        method: The HTTP method.
        url: The redacted URL without its query string.
        status: The status that triggered it.
        scheme: The auth scheme of the first try.
    """

    method: str
    url: str
    status: int
    scheme: str


HTTPEvent: TypeAlias = "RequestFinished | RateLimitPaused | AuthRetried"
