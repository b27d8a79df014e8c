"""Sans-I/O client for the legacy ``graphql-ws`` protocol (Apollo's subscriptions-transport-ws).

The same interface as ``_ws_protocol``: ``start``/``stop`` instead of ``subscribe``/``complete``,
``data`` instead of ``next``, ``connection_error`` for a refused ``connection_init``, and no
client ping: the server sends ``ka``, so silence for ``ping_interval + pong_timeout`` seconds
means the server is gone.
"""

from __future__ import annotations

from typing import Any

from paca.graphql._ws_events import (
    ConnectionRejected,
    ConnectionState,
    Event,
    KeepAliveTimedOut,
)
from paca.graphql._ws_protocol import Handler, Message, WSClientProtocol

__all__ = ["GraphQLWSProtocol"]


class GraphQLWSProtocol(WSClientProtocol):
    """The legacy ``graphql-ws`` client (Apollo's subscriptions-transport-ws).

    Example:
        >>> p = GraphQLWSProtocol(ping_interval=5.0, pong_timeout=2.0)
        >>> p.connection_init(None, now=0.0)
        >>> p.receive({"type": "connection_ack"}, now=0.1)
        [ConnectionAcknowledged(payload=None)]
        >>> p.next_deadline()  # no message for 5 + 2 s means the server is gone
        7.1
    """

    subprotocol = "graphql-ws"
    _start_type = "start"
    _stop_type = "stop"
    _last_seen = 0.0  # when the server last sent anything (class-level: the starting point)

    def _message_handlers(self) -> dict[str, Handler]:
        return {
            "connection_ack": self._on_ack,
            "connection_error": self._on_connection_error,
            "ka": self._on_keepalive,
            "data": self._on_next,
            "error": self._on_error,
            "complete": self._on_complete,
        }

    def terminate(self) -> None:
        """End the connection, sending ``connection_terminate`` if it was initialised."""
        if self.state in (ConnectionState.INITIALISING, ConnectionState.READY):
            self._outgoing.append({"type": "connection_terminate"})
        super().terminate()

    def _seen(self, now: float) -> None:
        self._last_seen = max(self._last_seen, now)

    def _errors_of(self, payload: Any) -> list[Any] | None:
        if isinstance(payload, dict):
            return [payload]
        if isinstance(payload, list) and payload:
            return payload
        return None

    def _on_connection_error(self, message: Message, now: float) -> list[Event]:
        self._end()
        return [ConnectionRejected(message.get("payload"))]

    def _on_keepalive(self, message: Message, now: float) -> list[Event]:
        return []

    def _keepalive_start(self, now: float) -> None:
        self._last_seen = now

    def _keepalive_deadline(self) -> float | None:
        if self.ping_interval is None:
            return None
        return self._last_seen + self.ping_interval + self.pong_timeout

    def _keepalive_tick(self, now: float) -> list[Event]:
        deadline = self._keepalive_deadline()
        if deadline is not None and now >= deadline:
            silent_for = now - self._last_seen
            self._end()
            return [KeepAliveTimedOut(silent_for)]
        return []
