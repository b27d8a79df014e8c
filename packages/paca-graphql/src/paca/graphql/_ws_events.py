"""What the WebSocket protocol cores report: events, close codes and what a close means.

:func:`classify_close` turns a close code into an :class:`~paca.result.ErrorKind` and a
decision to reconnect or to give up, following the graphql-ws client: authentication
(``4401``/``4403``) and protocol errors are final; a lost or restarting server, an
initialisation timeout (``4408``) or too many initialisations (``4429``) are worth another
connection.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from paca.result import ErrorKind

__all__ = [
    "CLOSE_ACK_TIMEOUT",
    "CLOSE_BAD_RESPONSE",
    "CLOSE_NORMAL",
    "AckTimedOut",
    "CloseOutcome",
    "CompleteReceived",
    "ConnectionAcknowledged",
    "ConnectionRejected",
    "ConnectionState",
    "ErrorReceived",
    "Event",
    "KeepAliveTimedOut",
    "NextReceived",
    "ProtocolViolation",
    "classify_close",
]

#: A normal close, sent by a client that is done.
CLOSE_NORMAL = 1000
#: The close code a client uses when the server broke the protocol (graphql-ws "BadResponse").
CLOSE_BAD_RESPONSE = 4004
#: The close code a client uses when ``connection_ack`` did not come in time.
CLOSE_ACK_TIMEOUT = 4504


class ConnectionState(enum.Enum):
    """Where a connection is in its life."""

    NEW = "new"
    INITIALISING = "initialising"  # connection_init sent, no acknowledgement yet
    READY = "ready"
    CLOSED = "closed"


@dataclass(frozen=True)
class ConnectionAcknowledged:
    """The server accepted ``connection_init``; pending subscriptions were sent."""

    payload: Any


@dataclass(frozen=True)
class ConnectionRejected:
    """A legacy ``connection_error``: the server refused the connection (usually auth)."""

    payload: Any


@dataclass(frozen=True)
class NextReceived:
    """One execution result (``next`` / ``data``) for an active operation."""

    id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ErrorReceived:
    """The operation failed (``error``) and is no longer active."""

    id: str
    errors: list[Any]


@dataclass(frozen=True)
class CompleteReceived:
    """The server completed the operation; it is no longer active."""

    id: str


@dataclass(frozen=True)
class ProtocolViolation:
    """The server broke the protocol; the connection is over."""

    reason: str


@dataclass(frozen=True)
class KeepAliveTimedOut:
    """The server went silent (no ``pong`` / no ``ka``); the connection is over."""

    silent_for: float


@dataclass(frozen=True)
class AckTimedOut:
    """No ``connection_ack`` within ``ack_timeout``; the connection is over."""

    waited: float


Event = (
    ConnectionAcknowledged
    | ConnectionRejected
    | NextReceived
    | ErrorReceived
    | CompleteReceived
    | ProtocolViolation
    | KeepAliveTimedOut
    | AckTimedOut
)


@dataclass(frozen=True)
class CloseOutcome:
    """What a close means for a subscription.

    Attributes:
        kind: The failure's kind.
        retryable: Whether a new connection may succeed.
        message: A message for people.
    """

    kind: ErrorKind
    retryable: bool
    message: str


# Closes after which a new connection may work (network trouble, restarts, overload).
_TRANSIENT = {
    None: ErrorKind.CONNECTION,  # the socket died without a close frame
    1000: ErrorKind.CONNECTION,  # the server closed without completing the operation
    1001: ErrorKind.CONNECTION,  # going away
    1005: ErrorKind.CONNECTION,  # no status
    1006: ErrorKind.CONNECTION,  # abnormal closure
    1011: ErrorKind.UNAVAILABLE,  # unexpected server condition
    1012: ErrorKind.UNAVAILABLE,  # service restart
    1013: ErrorKind.UNAVAILABLE,  # try again later
    1014: ErrorKind.UNAVAILABLE,  # bad gateway
    4408: ErrorKind.TIMEOUT,  # connection initialisation timeout
    4429: ErrorKind.RATE_LIMITED,  # too many initialisation requests
    4504: ErrorKind.TIMEOUT,  # connection acknowledgement timeout
}
_AUTH = frozenset({4401, 4403})


def classify_close(code: int | None, reason: str = "") -> CloseOutcome:
    """Say what a WebSocket close means: its kind, and whether to reconnect.

    Args:
        code: The close code, or ``None`` when the connection dropped without one.
        reason: The close reason the server sent.

    Returns:
        The outcome. Unknown codes are final protocol errors of kind ``UNKNOWN``.
    """
    said = f" ({reason})" if reason else ""
    if code in _AUTH:
        return CloseOutcome(
            ErrorKind.AUTH, False, f"the server rejected the connection: close code {code}{said}"
        )
    kind = _TRANSIENT.get(code)
    if kind is not None:
        what = "the connection dropped" if code is None else f"the server closed with {code}"
        return CloseOutcome(kind, True, f"{what}{said}")
    return CloseOutcome(ErrorKind.UNKNOWN, False, f"protocol error: close code {code}{said}")
