"""``async with`` for objects with ``initialize()`` and ``cleanup()``."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["NOT_INITIALIZED", "AsyncLifecycle", "ClientNotInitializedError"]

_L = TypeVar("_L", bound="AsyncLifecycle")

#: The message of :class:`ClientNotInitializedError`.
NOT_INITIALIZED = "call `await client.initialize()` (or use `async with`) before requests"


class ClientNotInitializedError(RuntimeError):
    """A call was made before ``initialize()`` (or after ``cleanup()``)."""


class AsyncLifecycle(abc.ABC):
    """``async with obj:`` runs ``await obj.initialize()``, then ``await obj.cleanup()``."""

    __slots__ = ()

    @abc.abstractmethod
    async def initialize(self) -> None:
        """Get ready for use."""

    @abc.abstractmethod
    async def cleanup(self) -> None:
        """Release what :meth:`initialize` took."""

    async def __aenter__(self: _L) -> _L:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.cleanup()
