"""``WebhookHandler``: verified, deduplicated, durable webhook intake with retries.

The handler ties four pieces together: a :class:`~paca.webhooks._verify_protocol.Verifier`
(the signature scheme), an :class:`~paca.webhooks._inbox.Inbox` (deduplicating durable storage:
``SQLiteInbox`` or ``RedisInbox``), the aiohttp receiver (``create_app`` / ``add_routes``) and
the dispatcher (``start`` / ``stop``: workers that run the routed handlers with retries and
dead letters). Receivers and workers may run in different processes on the same inbox.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web

from paca.resilience import Listeners
from paca.webhooks._dispatch import Dispatcher, EventHandler, Router, WebhookEvent
from paca.webhooks._receiver import Receiver

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from paca.resilience import Clock
    from paca.webhooks._inbox import Inbox, StoredEvent
    from paca.webhooks._verify_protocol import Verifier
    from paca.webhooks._webhook_events import WebhookEventRecord

__all__ = ["WebhookEvent", "WebhookHandler"]

H = TypeVar("H", bound=EventHandler)


class WebhookHandler:
    """Receive webhooks durably and run handlers for them.

    Args:
        verifier: The signature scheme (e.g. ``StandardWebhooksVerifier(secrets=[...])``).
        inbox: Where deliveries are deduplicated and stored (``SQLiteInbox("hooks.db")``).
        source: The label deduplication is scoped by: ``(source, event_id)`` is unique.
        type_field: The JSON field holding the event type.
        id_field: The JSON field holding the event id when the scheme carries none.
        max_body_size: Bytes; a larger body is answered 413 before it is read (default 1 MiB).
        workers: Worker tasks started by :meth:`start`.
        max_attempts: Attempts before an event goes to the dead letters.
        handler_timeout: Seconds for the handlers of one attempt.
        base_delay: The first retry backoff window, in seconds (full jitter).
        max_delay: The largest retry delay, in seconds.
        lease: Seconds before an unfinished event is taken by another worker
            (default ``handler_timeout + 30``).
        poll: Seconds an idle worker waits before looking for work again.
        drain_timeout: Seconds :meth:`stop` lets running handlers finish.
        retention: Seconds dedup records of processed events are kept (default 4 days);
            the workers prune older ones (``SQLiteInbox``). ``RedisInbox`` expires its dedup
            keys by TTL after its own ``retention`` argument instead.
        retry_after: Seconds advertised in ``Retry-After`` when the inbox is down.
        clock: Monotonic time for durations (tests pass a ``FakeClock``).
        wall_clock: Epoch seconds for signature timestamps and retention.
        rng: The random source of the retry jitter.

    Example:
        >>> hooks = WebhookHandler(
        ...     verifier=my_verifier, inbox=SQLiteInbox("hooks.db")
        ... )  # doctest: +SKIP
        >>> @hooks.on("invoice.paid")  # doctest: +SKIP
        ... async def paid(event: WebhookEvent) -> None: ...
        >>> app = hooks.create_app(path="/webhooks/billing")  # doctest: +SKIP
    """

    def __init__(
        self,
        verifier: Verifier,
        inbox: Inbox,
        *,
        source: str = "default",
        type_field: str = "type",
        id_field: str = "id",
        max_body_size: int = 1024 * 1024,
        workers: int = 4,
        max_attempts: int = 5,
        handler_timeout: float = 30.0,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        lease: float | None = None,
        poll: float = 0.5,
        drain_timeout: float = 10.0,
        retention: float = 4 * 86400.0,
        retry_after: float = 5.0,
        clock: Clock | None = None,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if max_body_size < 1:
            msg = f"max_body_size must be >= 1, got {max_body_size!r}"
            raise ValueError(msg)
        if not source:
            msg = "source must be a non-empty label"
            raise ValueError(msg)
        self.verifier = verifier
        self.inbox = inbox
        self.source = source
        self._listeners: Listeners[WebhookEventRecord] = Listeners()
        self._router = Router()
        self._receiver = Receiver(
            verifier=verifier,
            inbox=inbox,
            listeners=self._listeners,
            source=source,
            type_field=type_field,
            id_field=id_field,
            max_body_size=max_body_size,
            retry_after=retry_after,
            wall_clock=wall_clock,
        )
        self._dispatcher = Dispatcher(
            inbox,
            self._router,
            self._listeners,
            workers=workers,
            max_attempts=max_attempts,
            handler_timeout=handler_timeout,
            base_delay=base_delay,
            max_delay=max_delay,
            lease=lease,
            poll=poll,
            drain_timeout=drain_timeout,
            retention=retention,
            clock=clock,
            wall_clock=wall_clock,
            rng=rng,
        )

    # -- routes --------------------------------------------------------------

    def on(self, pattern: str) -> Callable[[H], H]:
        """Register the decorated async function for an event type.

        Args:
            pattern: ``"invoice.paid"`` (exact), ``"invoice.*"`` (prefix) or ``"*"`` (all).

        Returns:
            A decorator returning the function unchanged.

        Raises:
            ValueError: The pattern is not one of the three forms.
        """
        Router.check(pattern)

        def register(handler: H) -> H:
            self._router.add(pattern, handler)
            return handler

        return register

    def add_handler(self, pattern: str, handler: EventHandler) -> None:
        """Register ``handler`` for ``pattern`` (the non-decorator form of :meth:`on`)."""
        self._router.add(pattern, handler)

    def add_listener(self, listener: Callable[[WebhookEventRecord], object]) -> Callable[[], None]:
        """Call ``listener`` with every monitoring event (received, rejected, duplicate...).

        A listener that raises is logged and ignored.

        Returns:
            A function that removes the listener.
        """
        return self._listeners.add(listener)

    # -- receiving -----------------------------------------------------------

    def add_routes(self, app: web.Application, path: str = "/webhooks") -> None:
        """Mount the receiver on ``app`` at ``path`` (POST) and open/close the inbox with it."""
        app.router.add_post(path, self._receiver.handle)

        async def lifecycle(_app: web.Application) -> object:
            await self.inbox.open()
            yield None
            await self._dispatcher.stop()
            await self.inbox.close()

        app.cleanup_ctx.append(lifecycle)  # type: ignore[arg-type]

    def create_app(self, path: str = "/webhooks", *, run_workers: bool = False) -> web.Application:
        """Return an aiohttp application receiving deliveries at ``path``.

        Args:
            path: The URL path deliveries are POSTed to.
            run_workers: Also start the dispatcher with the application (and stop it at
                shutdown); leave ``False`` when workers run elsewhere or you call :meth:`start`.
        """
        app = web.Application(client_max_size=self._receiver.max_body_size + 1)
        self.add_routes(app, path)
        if run_workers:

            async def workers(_app: web.Application) -> object:
                await self.start()
                yield None
                await self.stop()

            app.cleanup_ctx.append(workers)  # type: ignore[arg-type]
        return app

    # -- dispatching ---------------------------------------------------------

    async def start(self) -> None:
        """Open the inbox and start the dispatcher's workers. Idempotent."""
        await self.inbox.open()
        await self._dispatcher.start()

    async def stop(self, drain_timeout: float | None = None) -> None:
        """Stop the workers, letting running handlers finish for up to ``drain_timeout`` s."""
        await self._dispatcher.stop(drain_timeout)

    async def close(self) -> None:
        """Stop the workers and close the inbox."""
        await self.stop()
        await self.inbox.close()

    async def __aenter__(self) -> WebhookHandler:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def run_once(self, limit: int = 100) -> int:
        """Process the events due now in the calling task; return how many were attempted."""
        await self.inbox.open()
        return await self._dispatcher.run_once(limit)

    # -- dead letters --------------------------------------------------------

    async def dead_letters(self, limit: int = 100) -> list[StoredEvent]:
        """Return up to ``limit`` dead letters, oldest first."""
        await self.inbox.open()
        return await self.inbox.dead_letters(limit)

    async def replay(self, event_id: str) -> bool:
        """Queue the dead letter ``event_id`` of this source again, with zero attempts.

        Returns:
            ``True`` if such a dead letter existed.
        """
        await self.inbox.open()
        return await self.inbox.replay(event_id, self.source)

    async def replay_all(self) -> int:
        """Queue every dead letter of this source again; return how many."""
        await self.inbox.open()
        count = 0
        while True:
            letters = [e for e in await self.inbox.dead_letters(1000) if e.source == self.source]
            if not letters:
                return count
            for letter in letters:
                count += await self.inbox.replay(letter.event_id, self.source)

    def __repr__(self) -> str:
        return f"WebhookHandler(source={self.source!r}, inbox={self.inbox!r})"
