"""The events of ``SQLConnector`` (given to listeners registered with ``add_listener``).

Events are small frozen records; they never carry parameters or passwords.
Building one is skipped entirely when no one listens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from paca.resilience import Listeners

if TYPE_CHECKING:
    from collections.abc import Callable

    from paca.result import ErrorKind

__all__ = ["PoolAcquired", "PoolReleased", "QueryFinished", "SQLEvent", "SQLListeners"]


@dataclass(frozen=True, slots=True)
class QueryFinished:
    """Event: a statement finished (successfully or not).

    Attributes:
        dialect: ``"sqlite"``, ``"postgresql"`` or ``"mysql"``.
        operation: ``"query"``, ``"execute"``, ``"execute_many"``,
            ``"fetch_one"``, ``"fetch_value"`` or ``"stream"``.
        sql: The statement as sent to the driver (placeholders, no values).
        duration: Seconds, connection wait included.
        rows: Rows returned or affected (``None`` on failure).
        kind: The failure's kind; ``None`` on success.
        in_transaction: Whether it ran inside ``db.transaction()``.
    """

    dialect: str
    operation: str
    sql: str
    duration: float
    rows: int | None
    kind: ErrorKind | None
    in_transaction: bool


@dataclass(frozen=True, slots=True)
class PoolAcquired:
    """Event: a connection was handed out.

    Attributes:
        dialect: The connector's dialect.
        wait: Seconds spent waiting for it.
        reused: ``False`` when a new connection had to be opened.
        in_use: Connections in use, this one included.
        size: Connections open.
    """

    dialect: str
    wait: float
    reused: bool
    in_use: int
    size: int


@dataclass(frozen=True, slots=True)
class PoolReleased:
    """Event: a connection came back to the pool.

    Attributes:
        dialect: The connector's dialect.
        held: Seconds it was in use.
        discarded: ``True`` when it was closed instead of kept (lost,
            expired, cancelled mid-statement).
        in_use: Connections still in use.
        size: Connections open.
    """

    dialect: str
    held: float
    discarded: bool
    in_use: int
    size: int


SQLEvent = QueryFinished | PoolAcquired | PoolReleased


class SQLListeners(Listeners[SQLEvent]):
    """The connector's listeners, with ``active``: a plain attribute for the hot paths.

    ``if listeners.active:`` is an attribute load; ``if listeners:`` calls
    ``__bool__``, which every statement would pay three times.
    """

    __slots__ = ("active",)

    def __init__(self) -> None:
        super().__init__()
        self.active = False

    def add(self, listener: Callable[[SQLEvent], object]) -> Callable[[], None]:
        """Register ``listener``; return a function that removes it."""
        remove = super().add(listener)
        self.active = True

        def remove_and_update() -> None:
            remove()
            self.active = len(self) > 0

        return remove_and_update
