"""Parsing what a server says about its rate limits (pure: no clock, no I/O).

Understood header families, most authoritative first:

* ``Retry-After``: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3);
* IETF ``RateLimit`` / ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers),
  both the dictionary form of drafts up to 07 (``RateLimit: limit=100,
  remaining=0, reset=30``; ``RateLimit-Policy: 100;w=60``) and the list form of
  drafts 08+ (``RateLimit: "default";r=0;t=30``; ``RateLimit-Policy:
  "default";q=100;w=60``);
* the separate IETF fields of early drafts: ``RateLimit-Limit``,
  ``RateLimit-Remaining``, ``RateLimit-Reset`` (delta-seconds);
* the de-facto ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (delta-seconds,
  or Unix epoch seconds when the value is above ``10**9`` as GitHub sends it)
  and ``X-RateLimit-Reset-After`` (delta-seconds).

Absolute times (an HTTP-date, an epoch reset) are turned into seconds from
now relative to the response's ``Date`` header when it has one; otherwise
relative to ``now_epoch`` given by the caller, or, as a last resort, to
the wall clock read by ``_retry_after`` (the one wall-clock read of this
package, not used by any decision path). ``Retry-After`` and HTTP-dates are
parsed by ``_retry_after``. Values that do not parse are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from ._retry_after import http_date_epoch, parse_retry_after, wall_clock_epoch

__all__ = ["RateLimitInfo", "parse_rate_limit_headers"]

_EPOCH_THRESHOLD = 1e9  # an X-RateLimit-Reset above this is a Unix timestamp (2001-09-09+)

HeadersLike: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
_EpochFn: TypeAlias = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What a response said about the rate limit (``None`` where it said nothing).

    Attributes:
        limit: The quota of the current policy.
        remaining: Units left in the current window.
        reset_after: Seconds until the quota resets.
        retry_after: Seconds the server asked to wait (``Retry-After``).
        window: The policy window in seconds, if a policy was given.
        source: The family that gave ``limit``/``remaining``/``reset_after``:
            ``"ratelimit"`` (IETF) or ``"x-ratelimit"``.
    """

    limit: int | None = None
    remaining: int | None = None
    reset_after: float | None = None
    retry_after: float | None = None
    window: float | None = None
    source: str | None = None

    @property
    def block_for(self) -> float | None:
        """Seconds during which no request should be sent, or ``None``.

        ``Retry-After`` blocks for its value; ``remaining == 0`` blocks until
        the reset. With both, the longer wins.
        """
        waits = [w for w in (self.retry_after, self._exhausted_for()) if w is not None]
        return max(waits) if waits else None

    @property
    def block_source(self) -> str | None:
        """Which header decides :attr:`block_for`: ``"retry-after"``, or :attr:`source`."""
        exhausted = self._exhausted_for()
        if self.retry_after is not None and (exhausted is None or self.retry_after >= exhausted):
            return "retry-after"
        return self.source if exhausted is not None else None

    def _exhausted_for(self) -> float | None:
        return self.reset_after if self.remaining == 0 else None


def parse_rate_limit_headers(
    headers: HeadersLike, *, now_epoch: float | None = None
) -> RateLimitInfo:
    """Extract rate-limit information from response headers.

    Args:
        headers: A mapping (case-insensitive or not) or ``(name, value)``
            pairs; the first value of a repeated header is used.
        now_epoch: The wall-clock time of the response in Unix seconds, used
            for absolute times when there is no ``Date`` header.

    Returns:
        The parsed :class:`RateLimitInfo`; fields the headers did not give
        are ``None``.
    """
    fields = _lower(headers)
    date = fields.get("date")
    if date is not None:
        parsed = http_date_epoch(date)
        if parsed is not None:
            now_epoch = parsed

    def epoch() -> float:
        return now_epoch if now_epoch is not None else wall_clock_epoch()

    raw_retry_after = fields.get("retry-after")
    retry_after = (
        None if raw_retry_after is None else parse_retry_after(raw_retry_after, now_epoch=now_epoch)
    )
    limit, window = _policy(fields.get("ratelimit-policy"))
    remaining: int | None = None
    reset: float | None = None
    source: str | None = None
    if "ratelimit" in fields:
        lim, remaining, reset = _structured(fields["ratelimit"])
        limit = lim if lim is not None else limit
        source = "ratelimit"
    if remaining is None and reset is None and any(k.startswith("ratelimit-") for k in fields):
        limit = _first_int(fields.get("ratelimit-limit")) if limit is None else limit
        remaining = _first_int(fields.get("ratelimit-remaining"))
        reset = _seconds(fields.get("ratelimit-reset"))
        source = "ratelimit"
    if remaining is None and reset is None and any(k.startswith("x-ratelimit-") for k in fields):
        limit = _first_int(fields.get("x-ratelimit-limit")) if limit is None else limit
        remaining = _first_int(fields.get("x-ratelimit-remaining"))
        reset = _seconds(fields.get("x-ratelimit-reset-after"))
        if reset is None:
            reset = _x_reset(fields.get("x-ratelimit-reset"), epoch)
        source = "x-ratelimit"
    if limit is None and remaining is None and reset is None:
        source = None
    return RateLimitInfo(limit, remaining, reset, retry_after, window, source)


def _lower(headers: HeadersLike) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(str(name).strip().lower(), str(value).strip())
    return fields


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number


def _seconds(value: str | None) -> float | None:
    return _number(_first_member(value))


def _first_member(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(",", 1)[0].split(";", 1)[0].strip()


def _first_int(value: str | None) -> int | None:
    number = _number(_first_member(value))
    return None if number is None else int(number)


def _x_reset(value: str | None, epoch: _EpochFn) -> float | None:
    number = _number(_first_member(value))
    if number is None or number <= _EPOCH_THRESHOLD:
        return number
    return max(0.0, number - epoch())


def _params(item: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in item.split(";")]
    params: dict[str, str] = {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return parts[0].strip('"'), params


def _policy(value: str | None) -> tuple[int | None, float | None]:
    """``RateLimit-Policy``: ``100;w=60`` (drafts <= 07) or ``"p";q=100;w=60`` (08+)."""
    if not value:
        return None, None
    bare, params = _params(value.split(",", 1)[0])
    limit = _number(params.get("q")) if "q" in params else _number(bare)
    return (None if limit is None else int(limit)), _number(params.get("w"))


def _structured(value: str) -> tuple[int | None, int | None, float | None]:
    """``RateLimit``: dictionary (``limit=, remaining=, reset=``) or list of ``"p";r=;t=`` items."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if any(item.partition("=")[0].strip().lower() in _DICT_KEYS for item in items):
        members = {}
        for item in items:
            name, _, raw = item.partition("=")
            members[name.strip().lower()] = raw.split(";", 1)[0].strip()
        limit = _number(members.get("limit"))
        remaining = _number(members.get("remaining"))
        return (
            None if limit is None else int(limit),
            None if remaining is None else int(remaining),
            _number(members.get("reset")),
        )
    best: tuple[int | None, float | None] = (None, None)
    for item in items:  # several policies: the one with the least left decides
        _, params = _params(item)
        remaining = _number(params.get("r"))
        reset = _number(params.get("t"))
        if remaining is None:
            continue
        left = int(remaining)
        if best[0] is None or left < best[0] or (left == best[0] and (reset or 0) > (best[1] or 0)):
            best = (left, reset)
    return None, best[0], best[1]


_DICT_KEYS = frozenset({"limit", "remaining", "reset"})
