"""Turn a response body into Python data by its ``Content-Type`` (pure)."""

from __future__ import annotations

import json
from json.scanner import make_scanner
from typing import Any

__all__ = ["BodyDecodeError", "decode_body", "decode_json", "is_json", "is_text"]

#: ``json.loads`` without its per-call dispatch (same decoder as ``json.loads`` defaults).
_JSON_DECODE = json.JSONDecoder().decode
#: The scanner under that decoder: ``(value, end)`` of the JSON value starting at an index.
_JSON_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # stub: any decoder
#: First bytes for which ``json.detect_encoding`` would not answer plain UTF-8.
_NOT_PLAIN_UTF8 = frozenset({0x00, 0xEF, 0xFE, 0xFF})

_TEXT_TYPES = frozenset(
    {
        "application/xml",
        "application/javascript",
        "application/x-www-form-urlencoded",
        "application/x-ndjson",
        "application/yaml",
    }
)


class BodyDecodeError(ValueError):
    """A body announced as JSON is not valid JSON."""


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, _, rest = content_type.partition(";")
    charset = None
    if rest:
        for part in rest.split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip().strip('"')
    return media.strip().lower(), charset


def is_json(media: str) -> bool:
    """Whether a media type is JSON (``application/json`` or ``*/*+json``)."""
    return media == "application/json" or media.endswith("+json")


def is_text(media: str) -> bool:
    """Whether a media type is text (``text/*``, XML, JavaScript, forms...)."""
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith("+xml")


def decode_json(body: bytes) -> Any:
    """Decode a non-empty body declared JSON (what :func:`decode_body` does for it).

    Raises:
        BodyDecodeError: The body does not parse.
    """
    try:
        if body[0] not in _NOT_PLAIN_UTF8 and (len(body) < 2 or body[1]):
            # what json.loads does for a body json.detect_encoding calls UTF-8
            text = body.decode("utf-8", "surrogatepass")
            try:
                value, end = _JSON_SCAN(text, 0)
            except StopIteration:
                pass  # leading whitespace, or not JSON: the decoder says which
            else:
                if end == len(text):
                    return value  # one value and nothing around it: what decode() answers
            return _JSON_DECODE(text)
        return json.loads(body)
    except ValueError as exc:
        where = getattr(exc, "pos", "?")
        msg = f"the body is not valid JSON ({type(exc).__name__} at {where})"
        raise BodyDecodeError(msg) from None


def decode_body(body: bytes, content_type: str | None) -> Any:
    """Decode ``body``: JSON to Python data, text to ``str``, anything else to ``bytes``.

    An empty body is ``None``. Text uses the declared charset (UTF-8 by default), replacing
    undecodable bytes.

    Raises:
        BodyDecodeError: The body is declared JSON but does not parse.

    Example:
        >>> decode_body(b'{"a": 1}', "application/json; charset=utf-8")
        {'a': 1}
    """
    if not body:
        return None
    if content_type is not None and content_type.startswith("application/json"):  # fast path
        return decode_json(body)
    media, charset = _media_type(content_type)
    if is_json(media):
        return decode_json(body)
    if is_text(media):
        try:
            return body.decode(charset or "utf-8", errors="replace")
        except LookupError:
            return body.decode("utf-8", errors="replace")
    return body
