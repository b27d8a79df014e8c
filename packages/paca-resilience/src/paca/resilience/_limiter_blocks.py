"""Blocking a ``RateLimiter`` key: by hand, or from what a server's headers say.

A mixin of :class:`~paca.resilience._limiter.RateLimiter` (it declares the
attributes it uses); the parsing is in :mod:`paca.resilience._limiter_headers`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ._limiter_events import RateLimitHeadersAdopted
from ._limiter_headers import HeadersLike, RateLimitInfo, parse_rate_limit_headers
from ._limiter_keys import KeyTable

if TYPE_CHECKING:
    from ._limiter_events import RateLimiterEvent
    from ._limiter_redis import RedisLimiterBackend
    from ._listeners import Listeners

__all__ = ["KeyBlocking"]


class KeyBlocking(KeyTable):
    """``block`` and ``update_from_headers`` (a mixin)."""

    __slots__ = ()

    name: str
    _listeners: Listeners[RateLimiterEvent]
    _redis: RedisLimiterBackend | None

    async def update_from_headers(
        self, headers: HeadersLike, key: str = "default", *, now_epoch: float | None = None
    ) -> RateLimitInfo:
        """Adopt what a server's response says about its limit.

        A ``Retry-After`` blocks ``key`` for that long; ``remaining=0`` with a
        reset (``RateLimit``, ``RateLimit-*`` or ``X-RateLimit-*``) blocks it
        until the reset. Other values are returned but change nothing. See
        :func:`parse_rate_limit_headers` for the formats and date handling.

        Args:
            headers: The response headers.
            key: The budget the server's limit applies to.
            now_epoch: Wall-clock time of the response, for absolute dates
                when there is no ``Date`` header.

        Returns:
            The parsed :class:`RateLimitInfo`.
        """
        info = parse_rate_limit_headers(headers, now_epoch=now_epoch)
        block_for = info.block_for
        blocked = block_for is not None and block_for > 0 and await self.block(key, block_for)
        if blocked and block_for is not None and self._listeners:
            source = info.block_source or "unknown"
            self._listeners.emit(RateLimitHeadersAdopted(self.name, key, block_for, source))
        return info

    async def block(self, key: str, seconds: float) -> bool:
        """Admit nothing for ``key`` during the next ``seconds`` (a longer block stays).

        Args:
            key: The budget to block.
            seconds: How long (>= 0).

        Returns:
            Whether the block was recorded (``False`` only when Redis failed;
            a :class:`RateLimitStoreFailed` event says so).
        """
        if not (seconds >= 0 and math.isfinite(seconds)):
            msg = f"seconds must be a finite number >= 0, got {seconds!r}"
            raise ValueError(msg)
        if self._redis is None:
            now = self._now()
            self._algorithm.block(self._state(key, now), now + seconds)
            return True
        return await self._redis.block(key, seconds)
