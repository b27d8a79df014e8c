"""Request signing: the :class:`Signer` interface and a generic HMAC-SHA256 signer.

A signer sees what is sent, exactly: the method, the URL without its query, the query
parameters sorted by name then value, the headers so far, the exact body bytes and a timestamp,
and returns the headers to add. :class:`HmacSigner` signs a canonical string (see
:func:`canonical_request`) with HMAC-SHA256; header names, the encoding and the canonical
string are configurable, so most "HMAC of method, path, time and body hash" APIs fit.

The timestamp is wall-clock Unix seconds (a server compares it with its own clock), read from
the ``wall_clock`` callable the scheme is given; tests pass a fake one. It is the only thing
the signature depends on that is not in the request, and no decision is taken on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable
from urllib.parse import quote

from multidict import CIMultiDict, CIMultiDictProxy

from paca.http._auth_protocol import AuthTicket
from paca.http._auth_schemes import SchemeBase
from paca.result import Secret

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    import aiohttp

    from paca.http._exchange import OutgoingRequest

__all__ = [
    "HmacSigner",
    "Signer",
    "SigningAuth",
    "SigningInput",
    "canonical_query",
    "canonical_request",
]


@dataclass(frozen=True, slots=True)
class SigningInput:
    """Everything a signer may sign.

    Attributes:
        method: Upper-case HTTP method.
        url: Absolute URL without the query string.
        query: Query parameters sorted by name, then value.
        headers: The request headers so far (read-only, case-insensitive).
        body: The exact body bytes (``b""`` when there is none).
        timestamp: Wall-clock Unix seconds.
    """

    method: str
    url: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes
    timestamp: float


@runtime_checkable
class Signer(Protocol):
    """Signs a request: returns the headers to add (it may be a coroutine function)."""

    def sign(self, message: SigningInput) -> Mapping[str, str] | Awaitable[Mapping[str, str]]:
        """Return the signature headers for ``message``."""
        ...


def canonical_query(query: Sequence[tuple[str, str]]) -> str:
    """``a=1&b=x%20y``: the sorted parameters, percent-encoded as RFC 3986 unreserved."""
    return "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in sorted(query)
    )


def canonical_request(message: SigningInput, signed_headers: Sequence[str] = ()) -> str:
    r"""The default string to sign: one field per line, joined by ``\n``.

    The lines are: the method; the URL; :func:`canonical_query`; the timestamp as whole
    seconds; ``name:value`` for each of ``signed_headers`` (name lower-cased, the first value
    stripped, empty when absent), in the given order; the hex SHA-256 of the body.

    Example:
        >>> msg = SigningInput("GET", "https://api.test/v1", (), {}, b"", 1700000000.5)
        >>> canonical_request(msg).splitlines()[:4]
        ['GET', 'https://api.test/v1', '', '1700000000']
    """
    lines = [message.method, message.url, canonical_query(message.query)]
    lines.append(str(int(message.timestamp)))
    if signed_headers:
        present: dict[str, str] = {}
        for name, value in message.headers.items():
            present.setdefault(name.lower(), value)  # the first of a repeated header
        lines.extend(
            f"{name.lower()}:{present.get(name.lower(), '').strip()}" for name in signed_headers
        )
    lines.append(hashlib.sha256(message.body).hexdigest())
    return "\n".join(lines)


class HmacSigner:
    """HMAC-SHA256 over a canonical string, sent in configurable headers.

    Example:
        >>> signer = HmacSigner("s3cret", key_id="k1")
        >>> msg = SigningInput("GET", "https://api.test/v1", (), {}, b"", 1700000000.0)
        >>> sorted(signer.sign(msg))
        ['X-Key-Id', 'X-Signature', 'X-Timestamp']
    """

    def __init__(
        self,
        secret: Secret[str] | Secret[bytes] | str | bytes,
        *,
        key_id: str | None = None,
        signature_header: str = "X-Signature",
        timestamp_header: str | None = "X-Timestamp",
        key_id_header: str = "X-Key-Id",
        signed_headers: Sequence[str] = (),
        encoding: Literal["hex", "base64"] = "hex",
        signature_prefix: str = "",
        canonical: Callable[[SigningInput], str | bytes] | None = None,
    ) -> None:
        """Create a signer.

        Args:
            secret: The shared HMAC key.
            key_id: A public key identifier sent in ``key_id_header`` (not sent if ``None``).
            signature_header: The header that carries the signature.
            timestamp_header: The header that carries the timestamp (whole seconds), or
                ``None`` not to send it.
            key_id_header: The header that carries ``key_id``.
            signed_headers: Request headers included in the default canonical string.
            encoding: ``"hex"`` (lower case) or ``"base64"``.
            signature_prefix: Text put before the signature (``"sha256="``).
            canonical: Builds the string to sign instead of :func:`canonical_request`.

        Raises:
            ValueError: On an empty secret or an unknown encoding.
        """
        key: Secret[str] | Secret[bytes]
        if isinstance(secret, Secret):
            key = secret
        elif isinstance(secret, str):
            key = Secret(secret)
        else:
            key = Secret(bytes(secret))
        if not key:
            msg = "the HMAC secret must not be empty"
            raise ValueError(msg)
        if encoding not in {"hex", "base64"}:
            msg = f"encoding must be 'hex' or 'base64', got {encoding!r}"
            raise ValueError(msg)
        self._key: Secret[str] | Secret[bytes] = key
        self._key_id = key_id
        self._signature_header = signature_header
        self._timestamp_header = timestamp_header
        self._key_id_header = key_id_header
        self._signed_headers = tuple(signed_headers)
        self._encoding = encoding
        self._prefix = signature_prefix
        self._canonical = canonical

    @property
    def fingerprint(self) -> str:
        """The secret's fingerprint."""
        return self._key.fingerprint()

    def string_to_sign(self, message: SigningInput) -> bytes:
        """The exact bytes the HMAC is computed over."""
        if self._canonical is not None:
            text = self._canonical(message)
        else:
            text = canonical_request(message, self._signed_headers)
        return text.encode() if isinstance(text, str) else text

    def sign(self, message: SigningInput) -> dict[str, str]:
        """Return the signature (and timestamp and key id) headers for ``message``."""
        raw = self._key.reveal()
        key = raw.encode() if isinstance(raw, str) else raw
        digest = hmac.new(key, self.string_to_sign(message), hashlib.sha256).digest()
        if self._encoding == "hex":
            signature = digest.hex()
        else:
            signature = base64.b64encode(digest).decode("ascii")
        headers = {self._signature_header: self._prefix + signature}
        if self._timestamp_header is not None:
            headers[self._timestamp_header] = str(int(message.timestamp))
        if self._key_id is not None:
            headers[self._key_id_header] = self._key_id
        return headers

    def __repr__(self) -> str:
        return (
            f"HmacSigner(key_id={self._key_id!r}, fingerprint={self.fingerprint!r}, "
            f"signature_header={self._signature_header!r})"
        )


def _wall_clock_epoch() -> float:
    # The one wall-clock read of the auth layer: a signature timestamp is compared with the
    # server's clock, so it must be Unix time. No decision is taken on it.
    return time.time()


class SigningAuth(SchemeBase):
    """Signs every request with a :class:`Signer` right before it is sent."""

    scheme = "hmac"

    def __init__(
        self,
        signer: Signer,
        *,
        fingerprint: str | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        """Create the scheme; see :meth:`AuthManager.signing` for the arguments."""
        super().__init__()
        if not callable(getattr(signer, "sign", None)):
            msg = f"a signer needs a sign() method, got {type(signer).__name__}"
            raise TypeError(msg)
        if fingerprint is None and isinstance(signer, HmacSigner):
            fingerprint = signer.fingerprint
        self._signer = signer
        self._ticket = AuthTicket(self.scheme, fingerprint)
        self._wall_clock = wall_clock if wall_clock is not None else _wall_clock_epoch

    async def apply(self, request: OutgoingRequest, session: aiohttp.ClientSession) -> AuthTicket:
        """Sign ``request`` and add the signer's headers (replacing earlier ones)."""
        message = SigningInput(
            method=request.method.upper(),
            url=request.url,
            query=tuple(sorted(request.params)),
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            body=request.body or b"",
            timestamp=self._wall_clock(),
        )
        result = self._signer.sign(message)
        headers = await result if inspect.isawaitable(result) else result
        for name, value in headers.items():
            request.headers[name] = value
        return self._ticket

    def describe(self) -> str:
        """Scheme, signer type and fingerprint."""
        return (
            f"scheme={self.scheme!r}, signer={type(self._signer).__name__}, "
            f"fingerprint={self._ticket.fingerprint!r}"
        )
