"""``SubscriptionOptions``: how a subscription connects, keeps alive and reconnects.

Kept apart from the asyncio layer (``_subscriptions``) so the configuration and the pure
backoff rule read and test on their own.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

from paca.resilience import Clock, MonotonicClock, full_jitter

__all__ = ["PROTOCOL_NAMES", "SubscriptionOptions", "WSProtocolName", "reconnect_delay"]

WSProtocolName = Literal["graphql-transport-ws", "graphql-ws"]

PROTOCOL_NAMES = ("graphql-transport-ws", "graphql-ws")


def _positive(name: str, value: float | None, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        msg = f"{name} must be a finite number > 0, got {value!r}"
        raise ValueError(msg)


@dataclass(frozen=True)
class SubscriptionOptions:
    """How a subscription connects, keeps alive and reconnects.

    Attributes:
        protocol: ``"graphql-transport-ws"`` (default) or the legacy ``"graphql-ws"``.
        ping_interval: Seconds of quiet before checking that the server is alive (``None``:
            no keep-alive). With ``graphql-ws`` the server sends ``ka``; silence for
            ``ping_interval + pong_timeout`` ends the connection.
        pong_timeout: Seconds the server has to answer a ``ping``.
        connect_timeout: Seconds for the handshake, and again for ``connection_ack``.
        close_timeout: Seconds to wait for the server's close frame when closing.
        backoff_base: The first reconnect window, in seconds (full jitter, doubling).
        backoff_max: The largest reconnect delay, in seconds.
        max_attempts: Connection attempts in a row that may fail before the stream gives up
            (``None``: never). An acknowledged connection resets the count.
        clock: The clock for keep-alive timers and backoff sleeps.
        rng: The random source for jitter.

    Raises:
        ValueError: On a bad value, naming the parameter.

    Example:
        >>> options = SubscriptionOptions(ping_interval=5.0, pong_timeout=2.0, max_attempts=None)
        >>> options.protocol
        'graphql-transport-ws'
    """

    protocol: WSProtocolName = "graphql-transport-ws"
    ping_interval: float | None = 15.0
    pong_timeout: float = 10.0
    connect_timeout: float = 10.0
    close_timeout: float = 2.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_attempts: int | None = 10
    clock: Clock = field(default_factory=MonotonicClock, compare=False)
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOL_NAMES:
            msg = f"protocol must be 'graphql-transport-ws' or 'graphql-ws', got {self.protocol!r}"
            raise ValueError(msg)
        _positive("ping_interval", self.ping_interval, optional=True)
        for name in ("pong_timeout", "connect_timeout", "close_timeout", "backoff_max"):
            _positive(name, getattr(self, name))
        if not (isinstance(self.backoff_base, int | float) and 0 <= self.backoff_base < math.inf):
            msg = f"backoff_base must be a finite number >= 0, got {self.backoff_base!r}"
            raise ValueError(msg)
        attempts = self.max_attempts
        if attempts is not None and (
            isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1
        ):
            msg = f"max_attempts must be an int >= 1 or None, got {attempts!r}"
            raise ValueError(msg)


def reconnect_delay(failures: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Return the delay before the next connection: full jitter.

    Args:
        failures: Failed attempts in a row; 0 (an acknowledged connection was lost) counts
            as 1.
        base: The first window, in seconds.
        cap: The largest delay, in seconds.
        rng: The random source.

    Returns:
        A delay uniform in ``[0, min(cap, base * 2 ** (failures - 1))]``.
    """
    return full_jitter(max(failures, 1), base=base, cap=cap, rng=rng)
