"""The dispatcher: workers that take events from the inbox and run the matching handlers.

Routing is by event type: an exact type (``"invoice.paid"``), a prefix wildcard
(``"invoice.*"`` matches ``invoice.paid`` and ``invoice.line.added``) or ``"*"`` (everything).
Every matching handler runs, in registration order, exact routes first, within one timeout.
If any fails or times out the event is retried later with full-jitter exponential backoff; after
``max_attempts`` attempts it moves to the dead-letter store, from which :meth:`Dispatcher.replay`
brings it back. Delivery to handlers is at least once: a handler must tolerate a rerun after a
crash (the inbox reclaims an event whose worker died once its lease expires).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paca.resilience import Clock, MonotonicClock, failure_from, full_jitter
from paca.webhooks._webhook_events import WebhookDeadLettered, WebhookProcessed, WebhookRetried

if TYPE_CHECKING:
    from paca.resilience import Listeners
    from paca.webhooks._inbox import Inbox, StoredEvent
    from paca.webhooks._webhook_events import WebhookEventRecord

__all__ = ["Dispatcher", "EventHandler", "Router", "WebhookEvent", "backoff_delay"]

_log = logging.getLogger("paca.webhooks")
_MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event as a handler receives it.

    Attributes:
        id: The event id (unique per source; duplicates never reach a handler twice).
        type: The event type.
        source: The source label of the receiver that stored it.
        payload: The parsed JSON body.
        body: The raw body bytes as signed by the sender.
        received_at: Epoch seconds when the receiver stored it.
        attempt: This attempt's number, 1 for the first.
    """

    id: str
    type: str
    source: str
    payload: dict[str, Any]
    body: bytes
    received_at: float
    attempt: int


EventHandler = Callable[[WebhookEvent], Awaitable[object]]
"""An async function taking a :class:`WebhookEvent`."""


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Full-jitter backoff: uniform in ``[0, min(cap, base * 2 ** (attempt - 1))]``.

    ``attempt`` is the attempt that just failed (values below 1 count as 1).
    """
    return full_jitter(max(attempt, 1), base=base, cap=cap, rng=rng)


class Router:
    """Event-type routes: exact, prefix wildcard (``"a.*"``) and catch-all (``"*"``)."""

    def __init__(self) -> None:
        self._exact: dict[str, list[EventHandler]] = {}
        self._prefix: list[tuple[str, EventHandler]] = []
        self._any: list[EventHandler] = []

    def add(self, pattern: str, handler: EventHandler) -> None:
        """Route ``pattern`` to ``handler``.

        Raises:
            ValueError: The pattern is empty or has a ``*`` other than a final ``.*`` segment.
            TypeError: The handler is not callable.
        """
        if not callable(handler):
            msg = "a webhook handler must be an async function"
            raise TypeError(msg)
        kind = self.check(pattern)
        if kind == "any":
            self._any.append(handler)
        elif kind == "prefix":
            self._prefix.append((pattern[:-1], handler))
        else:
            self._exact.setdefault(pattern, []).append(handler)

    @staticmethod
    def check(pattern: str) -> str:
        """Return ``"any"``, ``"prefix"`` or ``"exact"`` for a valid route pattern.

        Raises:
            ValueError: The pattern is empty or has a ``*`` other than a final ``.*`` segment.
        """
        if pattern == "*":
            return "any"
        if pattern.endswith(".*") and "*" not in pattern[:-2] and len(pattern) > 2:
            return "prefix"
        if pattern and "*" not in pattern:
            return "exact"
        msg = f"a route is an event type, 'prefix.*' or '*', got {pattern!r}"
        raise ValueError(msg)

    def match(self, event_type: str) -> list[EventHandler]:
        """Return the handlers for ``event_type``: exact, then prefix, then catch-all."""
        found = list(self._exact.get(event_type, ()))
        found += [h for prefix, h in self._prefix if event_type.startswith(prefix)]
        found += self._any
        return found


def _describe(exc: BaseException) -> str:
    failure = failure_from(exc)
    return f"{failure.kind}: {type(exc).__name__}: {failure.error}"[:_MAX_ERROR]


class Dispatcher:
    """Workers that drain an inbox through a router.

    Args:
        inbox: The inbox to take events from.
        router: The routes.
        listeners: Where processed/retried/dead-lettered events are reported.
        workers: Concurrent worker tasks in this process.
        max_attempts: Attempts before an event is dead-lettered.
        handler_timeout: Seconds for all the handlers of one attempt.
        base_delay: The first backoff window, in seconds.
        max_delay: The largest backoff delay, in seconds.
        lease: Seconds a claim is held before another worker may take the event
            (default ``handler_timeout + 30``).
        poll: Seconds a worker waits for work before polling again.
        drain_timeout: Seconds :meth:`stop` waits for running handlers before cancelling them.
        retention: Seconds processed events (and their dedup records) are kept.
        prune_interval: Seconds between two prunings.
        clock: Durations and the pruning schedule.
        wall_clock: Epoch seconds for retention.
        rng: The jitter's random source.
    """

    def __init__(
        self,
        inbox: Inbox,
        router: Router,
        listeners: Listeners[WebhookEventRecord],
        *,
        workers: int = 4,
        max_attempts: int = 5,
        handler_timeout: float = 30.0,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        lease: float | None = None,
        poll: float = 0.5,
        drain_timeout: float = 10.0,
        retention: float = 4 * 86400.0,
        prune_interval: float = 3600.0,
        clock: Clock | None = None,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        for name, value in (("workers", workers), ("max_attempts", max_attempts)):
            if value < 1:
                msg = f"{name} must be >= 1, got {value!r}"
                raise ValueError(msg)
        for name, number in (
            ("handler_timeout", handler_timeout),
            ("poll", poll),
            ("retention", retention),
            ("prune_interval", prune_interval),
        ):
            if not number > 0:
                msg = f"{name} must be > 0, got {number!r}"
                raise ValueError(msg)
        if not 0 <= base_delay <= max_delay:
            msg = f"need 0 <= base_delay <= max_delay, got {base_delay!r}, {max_delay!r}"
            raise ValueError(msg)
        self.inbox = inbox
        self.router = router
        self._listeners = listeners
        self.workers = workers
        self.max_attempts = max_attempts
        self.handler_timeout = handler_timeout
        self._base, self._cap = base_delay, max_delay
        self.lease = lease if lease is not None else handler_timeout + 30.0
        self._poll = poll
        self._drain = drain_timeout
        self.retention = retention
        self._prune_every = prune_interval
        self._clock = clock or MonotonicClock()
        self._wall = wall_clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        """Whether workers are running."""
        return bool(self._tasks)

    async def start(self) -> None:
        """Start the workers and the pruning task. Idempotent."""
        if self._tasks:
            return
        await self.inbox.open()
        self._stopping = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"paca-webhooks-worker-{i}")
            for i in range(self.workers)
        ]
        self._tasks.append(asyncio.create_task(self._pruner(), name="paca-webhooks-pruner"))

    async def stop(self, drain_timeout: float | None = None) -> None:
        """Stop claiming, wait for running handlers, then cancel what is left.

        An event whose handler is cancelled is released for a later attempt.
        """
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        self._stopping.set()
        timeout = self._drain if drain_timeout is None else drain_timeout
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def run_once(self, limit: int = 100) -> int:
        """Process the events due now, in this task (for tests and scripts).

        Returns:
            How many events were attempted.
        """
        done = 0
        while done < limit:
            events = await self.inbox.claim(1, self.lease, 0.0)
            if not events:
                break
            for event in events:
                await self.process(event)
                done += 1
        return done

    async def _worker(self) -> None:
        while not self._stopping.is_set():
            try:
                events = await self.inbox.claim(1, self.lease, self._poll)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("claiming from %r failed; retrying", self.inbox)
                await self._clock.sleep(self._poll)
                continue
            for event in events:
                try:
                    await self.process(event)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The outcome could not be recorded (the inbox is down): the event stays
                    # claimed and is taken again when its lease expires.
                    _log.exception("recording the outcome of %s failed", event.event_id)
                    await self._clock.sleep(self._poll)

    async def _pruner(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.inbox.prune(self._wall() - self.retention)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("pruning %r failed", self.inbox)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._prune_every)

    async def _run_handlers(self, handlers: list[EventHandler], event: WebhookEvent) -> None:
        for handler in handlers:
            await handler(event)

    async def process(self, stored: StoredEvent) -> None:
        """Run the handlers of one claimed event and record the outcome in the inbox."""
        handlers = self.router.match(stored.event_type)
        started = self._clock.now()
        try:
            payload = json.loads(stored.body)
            event = WebhookEvent(
                id=stored.event_id,
                type=stored.event_type,
                source=stored.source,
                payload=payload if isinstance(payload, dict) else {"data": payload},
                body=stored.body,
                received_at=stored.received_at,
                attempt=stored.attempts,
            )
            if handlers:
                await asyncio.wait_for(self._run_handlers(handlers, event), self.handler_timeout)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.inbox.retry_later(stored, 0.0, "cancelled"))
            raise
        except Exception as exc:
            await self._failed(stored, exc)
            return
        await self.inbox.complete(stored)
        if self._listeners:
            duration = self._clock.now() - started
            self._listeners.emit(
                WebhookProcessed(
                    stored.source,
                    stored.event_id,
                    stored.event_type,
                    stored.attempts,
                    duration,
                    len(handlers),
                )
            )

    async def _failed(self, stored: StoredEvent, exc: Exception) -> None:
        error = _describe(exc)
        if stored.attempts >= self.max_attempts:
            await self.inbox.dead_letter(stored, error)
            _log.warning(
                "webhook %s dead-lettered after %d attempts", stored.event_id, stored.attempts
            )
            if self._listeners:
                self._listeners.emit(
                    WebhookDeadLettered(
                        stored.source, stored.event_id, stored.event_type, stored.attempts, error
                    )
                )
            return
        delay = backoff_delay(stored.attempts, base=self._base, cap=self._cap, rng=self._rng)
        await self.inbox.retry_later(stored, delay, error)
        if self._listeners:
            self._listeners.emit(
                WebhookRetried(
                    stored.source, stored.event_id, stored.event_type, stored.attempts, delay, error
                )
            )
