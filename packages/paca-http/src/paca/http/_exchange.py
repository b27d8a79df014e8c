"""The request and response records every layer of ``paca.http`` passes around.

The client builds an :class:`OutgoingRequest` (body already serialised to bytes, so a signer
sees exactly what is sent), lets the auth layer decorate it, and turns what comes back into a
:class:`RawResponse`. The cache stores and serves ``RawResponse`` values. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from multidict import CIMultiDict, CIMultiDictProxy

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OutgoingRequest", "RawResponse"]


@dataclass(slots=True)
class OutgoingRequest:
    """One request about to be sent (mutable until it is sent: auth adds headers/params).

    Attributes:
        method: Upper-case HTTP method.
        url: Absolute URL without the query string.
        params: Query parameters, in order (a key may repeat).
        headers: Request headers (case-insensitive).
        body: The exact body bytes, or ``None``.
        endpoint: The registered endpoint name, if the call used one.
        idempotency_key: The ``Idempotency-Key`` of an unsafe request, if given.
    """

    method: str
    url: str
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    body: bytes | None = None
    endpoint: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RawResponse:
    """A complete response as received (or as stored by the cache).

    Attributes:
        status: HTTP status code.
        headers: Response headers (case-insensitive, read-only).
        body: The whole body (already decompressed).
        url: The final URL (after redirects).
        reason: The reason phrase, if any.
    """

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str
    reason: str = ""

    @staticmethod
    def build(
        status: int,
        headers: Mapping[str, str] | list[tuple[str, str]],
        body: bytes,
        url: str,
        reason: str = "",
    ) -> RawResponse:
        """Build a response from plain headers (a mapping or pairs)."""
        pairs = list(headers.items()) if hasattr(headers, "items") else list(headers)
        return RawResponse(status, CIMultiDictProxy(CIMultiDict(pairs)), body, url, reason)


_new = object.__new__
# The slots' own setters: what the frozen dataclass's __init__ reaches through
# object.__setattr__, without looking each name up again.
_SET_STATUS, _SET_HEADERS, _SET_BODY, _SET_URL, _SET_REASON = (
    RawResponse.__dict__[name].__set__ for name in ("status", "headers", "body", "url", "reason")
)


def received(
    status: int, headers: CIMultiDictProxy[str], body: bytes, url: str, reason: str
) -> RawResponse:
    """``RawResponse(status, headers, body, url, reason)``, built faster (once per response).

    The same object the constructor builds: every field set, nothing else (the class has
    slots and no ``__post_init__``).
    """
    raw: RawResponse = _new(RawResponse)
    _SET_STATUS(raw, status)
    _SET_HEADERS(raw, headers)
    _SET_BODY(raw, body)
    _SET_URL(raw, url)
    _SET_REASON(raw, reason)
    return raw
