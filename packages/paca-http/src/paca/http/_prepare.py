"""Build the :class:`~paca.http._exchange.OutgoingRequest` of a call (pure, no I/O).

Secret values (``paca.result.Secret``) are accepted in headers and query parameters: they are
revealed into the request and collected, so every message about the call can redact them.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from multidict import CIMultiDict

from paca.result import Secret

__all__ = [
    "UNSET",
    "build_body",
    "build_headers",
    "build_params",
    "host_of",
    "split_userinfo",
]

UNSET: Any = object()

ParamsLike = Mapping[str, Any] | Iterable[tuple[str, Any]]


def _text(value: Any, secrets: list[str]) -> str:
    if isinstance(value, Secret):
        revealed = value.reveal()
        text = revealed if isinstance(revealed, str) else revealed.decode()
        secrets.append(text)
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_params(params: ParamsLike | None, secrets: list[str]) -> list[tuple[str, str]]:
    """Flatten query parameters to ordered pairs (a list value repeats the key; ``None`` skips)."""
    if not params:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((str(key), _text(v, secrets)) for v in value if v is not None)
        else:
            pairs.append((str(key), _text(value, secrets)))
    return pairs


def build_headers(
    layers: Iterable[Mapping[str, Any] | None], secrets: list[str]
) -> CIMultiDict[str]:
    """Merge header layers (later ones win); reveal and collect ``Secret`` values."""
    headers: CIMultiDict[str] = CIMultiDict()
    for layer in layers:
        if layer:
            for key, value in layer.items():
                if value is not None:
                    headers[key] = _text(value, secrets)
    return headers


def build_body(json: Any, data: Any, headers: CIMultiDict[str]) -> tuple[bytes | None, Any]:
    """Serialise the body: ``(bytes, None)``, or ``(None, stream)`` for a streamed upload.

    ``json=`` is encoded compactly as UTF-8 JSON; ``data=`` may be ``bytes``, ``str`` (UTF-8),
    a mapping (form-encoded), an async iterable of ``bytes`` or a binary file object (both
    streamed, never loaded in memory).

    Raises:
        TypeError: Both ``json`` and ``data``, or an unsupported ``data`` type.
    """
    if json is not UNSET:
        if data is not None:
            msg = "pass json= or data=, not both"
            raise TypeError(msg)
        headers.setdefault("Content-Type", "application/json")
        return jsonlib.dumps(json, separators=(",", ":")).encode(), None
    if data is None:
        return None, None
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None
    if isinstance(data, str):
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return data.encode(), None
    if isinstance(data, Mapping):
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return urlencode(list(data.items()), doseq=True).encode(), None
    if isinstance(data, AsyncIterable) or hasattr(data, "read"):
        headers.setdefault("Content-Type", "application/octet-stream")
        return None, data
    msg = f"data= must be bytes, str, a mapping, an async iterable or a file, not {type(data)}"
    raise TypeError(msg)


def host_of(url: str) -> str:
    """``host:port`` of an absolute URL (without userinfo)."""
    netloc = urlsplit(url).netloc
    return netloc.rpartition("@")[2]


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """Remove ``user:password@`` from ``url``; return ``(url, user, password)``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, user, (password if sep else None)
