"""Listener lists that cost nothing when empty and never break a call."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Listeners"]

E = TypeVar("E")
_log = logging.getLogger("paca.resilience")


class Listeners(Generic[E]):
    """The listeners of one component.

    Call sites test ``if listeners:`` before building an event, so emitting
    costs one truth test when no one listens. A listener that raises is
    logged and skipped; the call it observes goes on.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: tuple[Callable[[E], object], ...] = ()

    def add(self, listener: Callable[[E], object]) -> Callable[[], None]:
        """Register ``listener``; return a function that removes it."""
        if not callable(listener):
            msg = f"a listener must be callable, got {type(listener).__name__}"
            raise TypeError(msg)
        self._items = (*self._items, listener)

        def remove() -> None:
            self._items = tuple(item for item in self._items if item is not listener)

        return remove

    def emit(self, event: E) -> None:
        """Deliver ``event`` to every listener, isolating their failures."""
        for listener in self._items:
            try:
                listener(event)
            except Exception:
                _log.exception("listener %r failed on %r", listener, event)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)
