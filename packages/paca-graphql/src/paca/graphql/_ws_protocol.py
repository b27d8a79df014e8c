"""Sans-I/O clients for GraphQL over WebSocket: ``graphql-transport-ws`` and legacy ``graphql-ws``.

Nothing here touches a socket or reads a clock. The caller feeds each message the server sent
(:meth:`receive_text`, or :meth:`receive` for an already parsed one) and the clock's reading
(:meth:`tick`), sends what :meth:`data_to_send` returns, and acts on the returned events.
:meth:`next_deadline` says when :meth:`tick` must be called next (a ping is due, a pong or the
``connection_ack`` is overdue).

Keep-alive: ``graphql-transport-ws`` clients send ``ping`` ``ping_interval`` seconds after the
acknowledgement or the last ``pong`` and give the server ``pong_timeout`` seconds to answer;
``graphql-ws`` servers send ``ka`` on their own, so the legacy client declares the server dead
after ``ping_interval + pong_timeout`` seconds without any message. Either way a silent server
is reported (:class:`KeepAliveTimedOut`) at most ``ping_interval + pong_timeout`` after it went
quiet.

A violation (not JSON, an unknown type, a missing id, an operation message before the
acknowledgement...) ends the connection with ``ProtocolViolation``; the caller should close
the socket with ``CLOSE_BAD_RESPONSE``. Operation messages for ids that are not active (late
messages after the client's ``complete``) are ignored. Events live in ``_ws_events``, the
legacy client in ``_ws_legacy``.
"""

from __future__ import annotations

import abc
import json
import math
from collections.abc import Callable
from typing import Any, ClassVar

from paca.graphql._ws_events import (
    AckTimedOut,
    CompleteReceived,
    ConnectionAcknowledged,
    ConnectionState,
    ErrorReceived,
    Event,
    KeepAliveTimedOut,
    NextReceived,
    ProtocolViolation,
)

__all__ = ["GraphQLTransportWSProtocol", "Handler", "Message", "WSClientProtocol"]

Message = dict[str, Any]
#: What handles one server message: called with (message, now), returns the events it means.
Handler = Callable[[Message, float], list[Event]]


def _check_duration(name: str, value: float | None, *, optional: bool) -> None:
    if value is None and optional:
        return
    if value is None or not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        msg = f"{name} must be a finite number > 0, got {value!r}"
        raise ValueError(msg)


class WSClientProtocol(abc.ABC):
    """What both protocols share: state, subscriptions, queueing, acknowledgement timing.

    Args:
        ping_interval: Seconds of quiet before checking the server is alive; ``None`` turns
            keep-alive off.
        pong_timeout: Seconds the server has to prove it is alive.
        ack_timeout: Seconds the server has to acknowledge ``connection_init``; ``None`` waits
            forever.

    Raises:
        ValueError: If a duration is not a finite positive number.
    """

    subprotocol: ClassVar[str]
    _start_type: ClassVar[str]
    _stop_type: ClassVar[str]

    def __init__(
        self,
        *,
        ping_interval: float | None = None,
        pong_timeout: float = 10.0,
        ack_timeout: float | None = 10.0,
    ) -> None:
        _check_duration("ping_interval", ping_interval, optional=True)
        _check_duration("pong_timeout", pong_timeout, optional=False)
        _check_duration("ack_timeout", ack_timeout, optional=True)
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.ack_timeout = ack_timeout
        self.state = ConnectionState.NEW
        self._outgoing: list[Message] = []
        self._pending: dict[str, Any] = {}
        self._active: set[str] = set()
        self._init_at = 0.0
        self._handlers = self._message_handlers()

    # -- commands ---------------------------------------------------------------------------

    def connection_init(self, payload: Any, now: float) -> None:
        """Queue ``connection_init`` (with ``payload`` unless it is ``None``).

        Raises:
            RuntimeError: If the connection was already initialised.
        """
        if self.state is not ConnectionState.NEW:
            msg = f"connection_init in state {self.state.value}"
            raise RuntimeError(msg)
        message: Message = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        self._outgoing.append(message)
        self.state = ConnectionState.INITIALISING
        self._init_at = now

    def subscribe(self, operation_id: str, payload: dict[str, Any]) -> None:
        """Start an operation now, or as soon as the server acknowledges the connection.

        Raises:
            ValueError: If the id is empty or already in use.
            RuntimeError: If the connection is closed.
        """
        if not isinstance(operation_id, str) or not operation_id:
            msg = f"operation id must be a non-empty str, got {operation_id!r}"
            raise ValueError(msg)
        if operation_id in self._active or operation_id in self._pending:
            msg = f"operation id {operation_id!r} is already in use"
            raise ValueError(msg)
        if self.state is ConnectionState.CLOSED:
            msg = "subscribe on a closed connection"
            raise RuntimeError(msg)
        if self.state is ConnectionState.READY:
            self._start(operation_id, payload)
        else:
            self._pending[operation_id] = payload

    def complete(self, operation_id: str) -> None:
        """Stop an operation: queue ``complete`` (``stop``) if the server knows it."""
        self._pending.pop(operation_id, None)
        if operation_id in self._active:
            self._active.discard(operation_id)
            if self.state is not ConnectionState.CLOSED:
                self._outgoing.append({"id": operation_id, "type": self._stop_type})

    def terminate(self) -> None:
        """End the connection from the client side (the caller then closes the socket)."""
        self._end()

    def _end(self) -> None:
        self.state = ConnectionState.CLOSED
        self._pending.clear()
        self._active.clear()

    # -- outputs ----------------------------------------------------------------------------

    def data_to_send(self) -> list[Message]:
        """Return, and forget, the messages queued for the server (JSON-serialisable dicts)."""
        out, self._outgoing = self._outgoing, []
        return out

    @property
    def active_ids(self) -> frozenset[str]:
        """The operations the server is running for this client."""
        return frozenset(self._active)

    def next_deadline(self) -> float | None:
        """Return when :meth:`tick` must run next, or ``None`` if no timer is running."""
        if self.state is ConnectionState.INITIALISING and self.ack_timeout is not None:
            return self._init_at + self.ack_timeout
        if self.state is ConnectionState.READY:
            return self._keepalive_deadline()
        return None

    # -- inputs -----------------------------------------------------------------------------

    def receive_text(self, text: str | bytes, now: float) -> list[Event]:
        """Parse one WebSocket text frame and feed it to :meth:`receive`."""
        if self.state is ConnectionState.CLOSED:
            return []
        try:
            message = json.loads(text)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            return self._violation("message is not valid JSON")
        return self.receive(message, now)

    def receive(self, message: object, now: float) -> list[Event]:
        """Feed one parsed server message; return what it means."""
        if self.state is ConnectionState.CLOSED:
            return []
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return self._violation("message is not an object with a string 'type'")
        self._seen(now)
        handler = self._handlers.get(message["type"])
        if handler is None:
            return self._violation(f"unexpected message type {message['type']!r}")
        return handler(message, now)

    def tick(self, now: float) -> list[Event]:
        """Run the timers at ``now``: queue a due ping, report an overdue ack or pong."""
        if self.state is ConnectionState.INITIALISING and self.ack_timeout is not None:
            if now >= self._init_at + self.ack_timeout:
                self._end()
                return [AckTimedOut(now - self._init_at)]
        elif self.state is ConnectionState.READY:
            return self._keepalive_tick(now)
        return []

    # -- shared handlers --------------------------------------------------------------------

    def _violation(self, reason: str) -> list[Event]:
        self._end()
        return [ProtocolViolation(reason)]

    def _on_ack(self, message: Message, now: float) -> list[Event]:
        if self.state is ConnectionState.READY:
            return []  # a repeated acknowledgement changes nothing
        if self.state is not ConnectionState.INITIALISING:
            return self._violation("connection_ack before connection_init")
        payload = message.get("payload")
        problem = self._check_ack_payload(payload)
        if problem:
            return self._violation(problem)
        self.state = ConnectionState.READY
        self._keepalive_start(now)
        pending, self._pending = self._pending, {}
        for operation_id, sub in pending.items():
            self._start(operation_id, sub)
        return [ConnectionAcknowledged(payload)]

    def _operation_id(self, message: Message) -> str | list[Event] | None:
        """Validate an operation message: its id, or the violation, or None to ignore it."""
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not operation_id:
            return self._violation(f"{message['type']} without a string 'id'")
        if self.state is not ConnectionState.READY:
            return self._violation(f"{message['type']} before connection_ack")
        if operation_id not in self._active:
            return None
        return operation_id

    def _on_next(self, message: Message, now: float) -> list[Event]:
        operation_id = self._operation_id(message)
        if not isinstance(operation_id, str):
            return operation_id or []
        payload = message.get("payload")
        if not isinstance(payload, dict) or not ("data" in payload or "errors" in payload):
            return self._violation(f"{message['type']} payload is not an execution result")
        errors = payload.get("errors")
        if errors is not None and not isinstance(errors, list):
            return self._violation(f"{message['type']} payload has non-list 'errors'")
        return [NextReceived(operation_id, payload)]

    def _on_error(self, message: Message, now: float) -> list[Event]:
        operation_id = self._operation_id(message)
        if not isinstance(operation_id, str):
            return operation_id or []
        errors = self._errors_of(message.get("payload"))
        if errors is None:
            return self._violation("error payload is not a list of errors")
        self._active.discard(operation_id)
        return [ErrorReceived(operation_id, errors)]

    def _on_complete(self, message: Message, now: float) -> list[Event]:
        operation_id = self._operation_id(message)
        if not isinstance(operation_id, str):
            return operation_id or []
        self._active.discard(operation_id)
        return [CompleteReceived(operation_id)]

    def _start(self, operation_id: str, payload: Any) -> None:
        self._active.add(operation_id)
        self._outgoing.append({"id": operation_id, "type": self._start_type, "payload": payload})

    # -- protocol-specific hooks ------------------------------------------------------------

    def _seen(self, now: float) -> None:  # noqa: B027 - a no-op unless a protocol needs it
        """Note that the server sent something at ``now``."""

    def _check_ack_payload(self, payload: Any) -> str | None:
        return None

    @abc.abstractmethod
    def _message_handlers(self) -> dict[str, Handler]:
        """The handler of each message type the server may send."""

    @abc.abstractmethod
    def _errors_of(self, payload: Any) -> list[Any] | None: ...

    @abc.abstractmethod
    def _keepalive_start(self, now: float) -> None: ...

    @abc.abstractmethod
    def _keepalive_deadline(self) -> float | None: ...

    @abc.abstractmethod
    def _keepalive_tick(self, now: float) -> list[Event]: ...


class GraphQLTransportWSProtocol(WSClientProtocol):
    """The ``graphql-transport-ws`` client (the graphql-ws library's protocol).

    Example:
        >>> p = GraphQLTransportWSProtocol(ping_interval=5.0, pong_timeout=2.0)
        >>> p.connection_init({"token": "t"}, now=0.0)
        >>> p.subscribe("1", {"query": "subscription { tick }"})
        >>> [m["type"] for m in p.data_to_send()]
        ['connection_init']
        >>> p.receive({"type": "connection_ack"}, now=0.1)
        [ConnectionAcknowledged(payload=None)]
        >>> [m["type"] for m in p.data_to_send()]
        ['subscribe']
    """

    subprotocol = "graphql-transport-ws"
    _start_type = "subscribe"
    _stop_type = "complete"
    # Keep-alive state; these class-level values are every instance's starting point.
    _next_ping_at: float | None = None  # when the next ping is due
    _ping_sent_at: float | None = None  # when the unanswered ping went out

    def _message_handlers(self) -> dict[str, Handler]:
        return {
            "connection_ack": self._on_ack,
            "ping": self._on_ping,
            "pong": self._on_pong,
            "next": self._on_next,
            "error": self._on_error,
            "complete": self._on_complete,
        }

    def _check_ack_payload(self, payload: Any) -> str | None:
        if payload is not None and not isinstance(payload, dict):
            return "connection_ack payload is not an object"
        return None

    def _errors_of(self, payload: Any) -> list[Any] | None:
        if isinstance(payload, list) and payload and all(isinstance(e, dict) for e in payload):
            return payload
        return None

    def _on_ping(self, message: Message, now: float) -> list[Event]:
        self._outgoing.append({"type": "pong"})
        return []

    def _on_pong(self, message: Message, now: float) -> list[Event]:
        if self._ping_sent_at is not None and self.state is ConnectionState.READY:
            self._ping_sent_at = None
            self._keepalive_start(now)
        return []  # an unsolicited pong is a one-way heartbeat: allowed, and ignored

    def _keepalive_start(self, now: float) -> None:
        if self.ping_interval is not None:
            self._next_ping_at = now + self.ping_interval

    def _keepalive_deadline(self) -> float | None:
        if self._ping_sent_at is not None:
            return self._ping_sent_at + self.pong_timeout
        return self._next_ping_at

    def _keepalive_tick(self, now: float) -> list[Event]:
        if self._ping_sent_at is not None:
            if now >= self._ping_sent_at + self.pong_timeout:
                silent_for = now - self._ping_sent_at
                self._end()
                return [KeepAliveTimedOut(silent_for)]
        elif self._next_ping_at is not None and now >= self._next_ping_at:
            self._outgoing.append({"type": "ping"})
            self._ping_sent_at = now
            self._next_ping_at = None
        return []
