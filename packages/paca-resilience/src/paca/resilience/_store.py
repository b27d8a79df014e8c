"""Where shared state lives: ``MemoryStore`` (one process) or ``RedisStore`` (many).

Breakers and limiters take ``store=``. With a :class:`MemoryStore` their state
is plain Python objects mutated between two awaits, which asyncio makes
atomic. With a :class:`RedisStore` every decision is one atomic Lua script
(one round trip) that uses Redis ``TIME`` as its clock, so processes on many
hosts share one breaker or one budget.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["FailureMode", "MemoryStore", "RedisStore", "Store"]


class FailureMode(str, enum.Enum):
    """What a Redis-backed component does when Redis cannot answer.

    ``FAIL_OPEN`` lets the call through (availability first: a limiter admits,
    a breaker behaves as closed); ``FAIL_CLOSED`` rejects it (protection
    first). Either way an event says so; nothing raises.
    """

    FAIL_OPEN = "fail_open"
    FAIL_CLOSED = "fail_closed"


@runtime_checkable
class Store(Protocol):
    """The state backend a component was given."""

    @property
    def kind(self) -> str:
        """``"memory"`` or ``"redis"``."""
        ...


class MemoryStore:
    """In-process state, the default: fast, and private to this process."""

    __slots__ = ()

    @property
    def kind(self) -> str:
        """Always ``"memory"``."""
        return "memory"

    def __repr__(self) -> str:
        return "MemoryStore()"


class RedisStore:
    """State shared through Redis by every process that uses the same prefix.

    Args:
        client: A ``redis.asyncio.Redis`` client (``decode_responses`` may be
            either). The store does not close it.
        prefix: Namespace for every key this store writes.
        failure_mode: What components do when Redis fails (default
            ``FAIL_OPEN``); a component may override it.
    """

    __slots__ = ("_scripts", "client", "failure_mode", "prefix")

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "paca",
        failure_mode: FailureMode | str = FailureMode.FAIL_OPEN,
    ) -> None:
        if not prefix or any(c in prefix for c in " {}"):
            msg = f"prefix must be non-empty without spaces or braces, got {prefix!r}"
            raise ValueError(msg)
        self.client = client
        self.prefix = prefix
        self.failure_mode = FailureMode(failure_mode)
        self._scripts: dict[str, AsyncScript] = {}

    @property
    def kind(self) -> str:
        """Always ``"redis"``."""
        return "redis"

    def key(self, *parts: str) -> str:
        """Build a namespaced key, e.g. ``paca:breaker:{name}``."""
        return ":".join((self.prefix, *parts))

    def script(self, source: str) -> AsyncScript:
        """Return the registered script for ``source`` (EVALSHA, loaded on demand)."""
        script = self._scripts.get(source)
        if script is None:
            script = self.client.register_script(source)
            self._scripts[source] = script
        return script

    async def run(self, source: str, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script atomically in one round trip; Redis errors propagate."""
        return await self.script(source)(keys=keys, args=args)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r}, failure_mode={self.failure_mode.value})"
