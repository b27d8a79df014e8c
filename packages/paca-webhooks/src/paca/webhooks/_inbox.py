"""The inbox protocol: where verified deliveries wait for the dispatcher.

An inbox does three jobs atomically:

- **deduplication**: :meth:`Inbox.put` stores a delivery only if its ``(source, event_id)`` is
  new, in one atomic step (a unique constraint, or a Lua script on Redis); it answers whether
  the delivery was new. A duplicate is never stored twice.
- **durability**: ``put`` returns only after the delivery is committed, so the receiver's 2xx
  means the event survives a crash of the process.
- **work distribution**: workers :meth:`~Inbox.claim` events under a lease; an event whose
  worker dies is claimed again after the lease; :meth:`~Inbox.complete`,
  :meth:`~Inbox.retry_later` and :meth:`~Inbox.dead_letter` record the outcome.

An inbox that cannot reach its storage raises :class:`InboxUnavailableError` (the receiver
answers 503 with ``Retry-After``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["Inbox", "InboxUnavailableError", "StoredEvent"]


class InboxUnavailableError(Exception):
    """The inbox's storage could not be reached or written.

    Attributes:
        retry_after: Seconds the sender should wait before delivering again.
    """

    def __init__(self, message: str, *, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the inbox holds it.

    Attributes:
        source: The source label of the receiver that stored it.
        event_id: The event id (unique per source).
        event_type: The event type.
        body: The raw JSON body as received.
        received_at: Epoch seconds when it was stored.
        attempts: Attempts started so far, this one included when claimed.
        error: The last failure's description, for dead letters.
        token: The inbox's handle for this claim (a stream entry id, a row id).
    """

    source: str
    event_id: str
    event_type: str
    body: bytes
    received_at: float
    attempts: int = 0
    error: str | None = None
    token: str = ""


@runtime_checkable
class Inbox(Protocol):
    """Durable, deduplicating storage shared by receivers and workers."""

    async def open(self) -> None:
        """Connect and create what is needed (tables, consumer groups). Idempotent."""
        ...

    async def close(self) -> None:
        """Release the connections. Idempotent."""
        ...

    async def put(
        self, source: str, event_id: str, event_type: str, body: bytes, received_at: float
    ) -> bool:
        """Store a delivery unless its ``(source, event_id)`` is known, atomically.

        Returns:
            ``True`` when stored (new), ``False`` for a duplicate.

        Raises:
            InboxUnavailableError: The storage is down; nothing was promised.
        """
        ...

    async def claim(self, limit: int, lease: float, wait: float) -> list[StoredEvent]:
        """Take up to ``limit`` events due for processing, for ``lease`` seconds.

        Events whose previous lease expired (their worker died) are claimed again.
        ``attempts`` of each returned event counts this attempt.

        Args:
            limit: The most events to return.
            lease: Seconds before an unfinished claim may be taken by another worker.
            wait: Seconds to wait for work when none is due (the inbox may return earlier).
        """
        ...

    async def complete(self, event: StoredEvent) -> None:
        """Record that ``event`` was processed (its dedup record stays)."""
        ...

    async def retry_later(self, event: StoredEvent, delay: float, error: str) -> None:
        """Release ``event`` so it is claimed again after ``delay`` seconds."""
        ...

    async def dead_letter(self, event: StoredEvent, error: str) -> None:
        """Move ``event`` to the dead-letter store."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[StoredEvent]:
        """Return up to ``limit`` dead letters, oldest first."""
        ...

    async def replay(self, event_id: str, source: str | None = None) -> bool:
        """Move a dead letter back to the queue with zero attempts.

        Returns:
            ``True`` when a dead letter with that id was found and queued again.
        """
        ...

    async def prune(self, older_than: float) -> int:
        """Forget processed events (and their dedup records) received before ``older_than``.

        Args:
            older_than: Epoch seconds.

        Returns:
            How many records were removed (an estimate for stores that expire keys by TTL).
        """
        ...
