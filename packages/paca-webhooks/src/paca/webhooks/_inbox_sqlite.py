"""``SQLiteInbox``: the embedded inbox, one SQLite file in WAL mode.

One table holds every event: its primary key ``(source, event_id)`` is the deduplication
record (``INSERT OR IGNORE``: atomic, never check-then-act), its ``status`` says pending,
processed or dead, and ``available_at`` is both the retry schedule and the claim lease: a claim
moves ``available_at`` past the lease, so an event whose worker died becomes due again.
``put`` returns after the ``COMMIT``, so an acknowledged event survives ``kill -9``. Several
processes may share the file (SQLite's write lock serialises claims).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import aiosqlite

from paca.webhooks._inbox import InboxUnavailableError, StoredEvent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["SQLiteInbox"]

_PENDING, _DONE, _DEAD = 0, 1, 2
_TABLE = "paca_webhook_inbox"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} ("
    " source TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, body BLOB,"
    " received_at REAL NOT NULL, status INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, available_at REAL NOT NULL, error TEXT,"
    " PRIMARY KEY (source, event_id))",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_due ON {_TABLE} (status, available_at)",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_received ON {_TABLE} (status, received_at)",
)


def _event(row: Any) -> StoredEvent:
    rowid, source, event_id, event_type, body, received_at, attempts, error = row
    return StoredEvent(
        source=source,
        event_id=event_id,
        event_type=event_type,
        body=bytes(body or b""),
        received_at=received_at,
        attempts=attempts,
        error=error,
        token=f"{rowid}:{attempts}",
    )


def _fence(event: StoredEvent) -> tuple[int, int]:
    rowid, _, attempts = event.token.partition(":")
    return int(rowid), int(attempts)


class SQLiteInbox:
    """The inbox in one SQLite file (WAL), for one host.

    Args:
        path: The database file (``":memory:"`` works for one process only).
        synchronous: SQLite's ``synchronous`` pragma: ``"NORMAL"`` (the default) survives a
            crash of the process (``kill -9``); ``"FULL"`` also survives a power loss.
        busy_timeout: Seconds to wait for another process's write lock.
        wall_clock: Epoch seconds, for ``available_at`` and retention (default ``time.time``).

    Example:
        >>> inbox = SQLiteInbox("hooks.db")
        >>> # async with inbox: stored = await inbox.put("billing", "evt_1", "t", b"{}", 0.0)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "NORMAL",
        busy_timeout: float = 5.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            msg = f"synchronous must be NORMAL, FULL or EXTRA, got {synchronous!r}"
            raise ValueError(msg)
        self.path = str(path)
        self._synchronous = synchronous.upper()
        self._busy_ms = int(busy_timeout * 1000)
        self._wall = wall_clock
        self._db: aiosqlite.Connection | None = None
        self._arrived: asyncio.Event | None = None
        self._open_lock: asyncio.Lock | None = None

    async def open(self) -> None:
        """Open the file, switch it to WAL and create the table. Idempotent."""
        if self._db is not None:
            return
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self._db is not None:
                return
            try:
                db = await aiosqlite.connect(self.path, isolation_level=None)
            except sqlite3.Error as exc:
                raise InboxUnavailableError(f"cannot open SQLite inbox: {exc}") from exc
            try:
                await db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
                await db.execute("PRAGMA journal_mode = WAL")
                await db.execute(f"PRAGMA synchronous = {self._synchronous}")
                for statement in _SCHEMA:
                    await db.execute(statement)
            except BaseException:
                await db.close()
                raise
            self._arrived = asyncio.Event()
            self._db = db

    async def close(self) -> None:
        """Close the connection. Idempotent."""
        db, self._db = self._db, None
        if db is not None:
            await db.close()

    async def __aenter__(self) -> SQLiteInbox:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            await self.open()
        assert self._db is not None  # noqa: S101 - set by open()
        return self._db

    async def put(
        self, source: str, event_id: str, event_type: str, body: bytes, received_at: float
    ) -> bool:
        """Insert the event unless ``(source, event_id)`` exists; return whether it was new.

        The row is committed (autocommit) before this returns.

        Raises:
            InboxUnavailableError: SQLite failed (disk full, locked too long, closed).
        """
        try:
            db = await self._conn()
            cursor = await db.execute(
                "INSERT OR IGNORE INTO paca_webhook_inbox (source, event_id, event_type, body,"
                " received_at, status, attempts, available_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
                (source, event_id, event_type, body, received_at, received_at),
            )
            stored = cursor.rowcount == 1
            await cursor.close()
        except (sqlite3.Error, ValueError) as exc:  # ValueError: connection closed
            raise InboxUnavailableError(f"SQLite inbox write failed: {exc}") from exc
        if stored and self._arrived is not None:
            self._arrived.set()
        return stored

    async def claim(self, limit: int, lease: float, wait: float) -> list[StoredEvent]:
        """Claim up to ``limit`` due events for ``lease`` seconds (see :class:`Inbox`)."""
        events = await self._claim_now(limit, lease)
        if events or wait <= 0 or self._arrived is None:
            return events
        self._arrived.clear()
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), wait)
        return await self._claim_now(limit, lease)

    async def _claim_now(self, limit: int, lease: float) -> list[StoredEvent]:
        db = await self._conn()
        now = self._wall()
        cursor = await db.execute(
            "UPDATE paca_webhook_inbox SET attempts = attempts + 1, available_at = ? WHERE rowid IN"
            " (SELECT rowid FROM paca_webhook_inbox WHERE status = 0 AND available_at <= ?"
            " ORDER BY available_at LIMIT ?)"
            " RETURNING rowid, source, event_id, event_type, body, received_at, attempts, error",
            (now + lease, now, limit),
        )
        rows = await cursor.fetchall()
        await cursor.close()
        return sorted((_event(row) for row in rows), key=lambda e: e.received_at)

    async def _finish(self, event: StoredEvent, sql: str, *args: Any) -> None:
        rowid, attempts = _fence(event)
        db = await self._conn()
        # The attempts fence: a worker whose lease expired cannot overwrite a newer claim.
        await db.execute(sql + " WHERE rowid = ? AND attempts = ?", (*args, rowid, attempts))

    async def complete(self, event: StoredEvent) -> None:
        """Mark ``event`` processed; its body is dropped, its dedup record kept."""
        await self._finish(
            event, "UPDATE paca_webhook_inbox SET status = 1, body = NULL, error = NULL"
        )

    async def retry_later(self, event: StoredEvent, delay: float, error: str) -> None:
        """Make ``event`` due again in ``delay`` seconds."""
        due = self._wall() + delay
        await self._finish(
            event, "UPDATE paca_webhook_inbox SET available_at = ?, error = ?", due, error
        )
        if self._arrived is not None and delay <= 0:
            self._arrived.set()

    async def dead_letter(self, event: StoredEvent, error: str) -> None:
        """Move ``event`` to the dead letters (status dead, body kept)."""
        await self._finish(event, "UPDATE paca_webhook_inbox SET status = 2, error = ?", error)

    async def dead_letters(self, limit: int = 100) -> list[StoredEvent]:
        """Return up to ``limit`` dead letters, oldest first."""
        db = await self._conn()
        cursor = await db.execute(
            "SELECT rowid, source, event_id, event_type, body, received_at, attempts, error"
            " FROM paca_webhook_inbox WHERE status = 2 ORDER BY received_at LIMIT ?",
            (limit,),
        )
        rows = await cursor.fetchall()
        await cursor.close()
        return [_event(row) for row in rows]

    async def replay(self, event_id: str, source: str | None = None) -> bool:
        """Queue a dead letter again with zero attempts; return whether one was found."""
        db = await self._conn()
        sql = (
            "UPDATE paca_webhook_inbox SET status = 0, attempts = 0, error = NULL, available_at = ?"
            " WHERE status = 2 AND event_id = ?"
        )
        args: tuple[Any, ...] = (self._wall(), event_id)
        if source is not None:
            sql += " AND source = ?"
            args = (*args, source)
        cursor = await db.execute(sql, args)
        found = cursor.rowcount > 0
        await cursor.close()
        if found and self._arrived is not None:
            self._arrived.set()
        return found

    async def prune(self, older_than: float) -> int:
        """Delete processed events received before ``older_than`` (epoch seconds)."""
        db = await self._conn()
        cursor = await db.execute(
            "DELETE FROM paca_webhook_inbox WHERE status = 1 AND received_at < ?", (older_than,)
        )
        removed = cursor.rowcount
        await cursor.close()
        return max(0, removed)

    async def count(self, status: str = "pending") -> int:
        """Count events by status: ``"pending"``, ``"processed"`` or ``"dead"`` (for tests/ops)."""
        code = {"pending": _PENDING, "processed": _DONE, "dead": _DEAD}[status]
        db = await self._conn()
        cursor = await db.execute(
            "SELECT count(*) FROM paca_webhook_inbox WHERE status = ?", (code,)
        )
        row = await cursor.fetchone()
        await cursor.close()
        return int(row[0]) if row else 0

    def __repr__(self) -> str:
        return f"SQLiteInbox({self.path!r})"
