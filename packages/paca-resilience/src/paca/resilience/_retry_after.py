"""Parse ``Retry-After`` values: delta-seconds or an HTTP-date, with a cap.

``Retry-After`` (RFC 9110, section 10.2.3) is either a number of seconds or
an HTTP-date. A date has to be compared with the wall clock, so this module
is the one place in ``paca.resilience`` that reads it (:func:`_utcnow`, the
exemption named in ``tests/test_no_wall_clock.py``); it only converts the date
into a *duration*, and every decision after that runs on the injected monotonic
:class:`~paca.resilience.Clock`. The rate-limit header parser
(``_limiter_headers``) uses the same parser, :func:`http_date_epoch` and
:func:`wall_clock_epoch`.

The parser never raises: whatever it cannot use becomes ``None``.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["http_date_epoch", "parse_retry_after", "wall_clock_epoch"]

_SECONDS = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*\Z", re.ASCII)


def _utcnow() -> datetime:
    # The documented wall-clock exemption: HTTP-dates are wall-clock instants.
    return datetime.now(timezone.utc)


def wall_clock_epoch() -> float:
    """Return the wall-clock time in Unix seconds, only to turn an absolute time into a delay."""
    return _utcnow().timestamp()


def http_date_epoch(value: str) -> float | None:
    """Return the Unix seconds of an HTTP-date (a missing zone means GMT), ``None`` if not one."""
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=timezone.utc)
    try:
        return when.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def _clamp(seconds: float, cap: float | None) -> float | None:
    if math.isnan(seconds):
        return None
    seconds = max(0.0, seconds)
    if cap is not None:
        return float(min(seconds, cap))
    return None if math.isinf(seconds) else seconds


def _until(when: datetime, now: Callable[[], datetime]) -> float:
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=timezone.utc)
    return (when - now()).total_seconds()


def parse_retry_after(
    value: object,
    *,
    cap: float | None = None,
    now: Callable[[], datetime] | None = None,
    now_epoch: float | None = None,
) -> float | None:
    """Turn a ``Retry-After`` value into a non-negative number of seconds.

    Args:
        value: A header value (``"120"``, ``"Wed, 21 Oct 2015 07:28:00 GMT"``,
            ``b"3"``), a number of seconds, a ``timedelta`` or a ``datetime``.
        cap: The largest delay to return; longer ones are cut to ``cap``.
            ``None`` for no cap (an infinite delay then gives ``None``).
        now: Returns the current aware UTC ``datetime``, used for dates
            (default: the system's wall clock). Tests pass a fixed one.
        now_epoch: The current time in Unix seconds (e.g. from a response's
            ``Date`` header); when given it is used instead of ``now``.

    Returns:
        Seconds to wait, in ``[0, cap]``; a date in the past gives ``0``.
        ``None`` when ``value`` is absent or cannot be understood.

    Example:
        >>> parse_retry_after("120", cap=60)
        60.0
    """
    if now_epoch is not None:
        epoch = now_epoch

        def now() -> datetime:
            return datetime.fromtimestamp(epoch, timezone.utc)

    try:
        return _parse(value, cap, now or _utcnow)
    except Exception:  # never raise: a bad header must not break a call
        return None


def _parse(value: object, cap: float | None, now: Callable[[], datetime]) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _number(value, cap)
    if isinstance(value, timedelta):
        return _clamp(value.total_seconds(), cap)
    if isinstance(value, datetime):
        return _clamp(_until(value, now), cap)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin-1")
    if not isinstance(value, str):
        return None
    match = _SECONDS.match(value)
    if match is not None:
        return _clamp(float(match.group(1)), cap)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _clamp(_until(when, now), cap)


def _number(value: float, cap: float | None) -> float | None:
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        seconds = math.inf if value > 0 else -math.inf
    return _clamp(seconds, cap)
