"""The legacy graphql-ws (Apollo) sans-I/O client: every message type, invalid input, timers."""

from __future__ import annotations

from typing import Any

import pytest

from paca.graphql._ws_events import (
    AckTimedOut,
    CompleteReceived,
    ConnectionAcknowledged,
    ConnectionRejected,
    ConnectionState,
    ErrorReceived,
    KeepAliveTimedOut,
    NextReceived,
    ProtocolViolation,
)
from paca.graphql._ws_legacy import GraphQLWSProtocol
from paca.resilience import FakeClock

SUB = {"query": "subscription { tick }"}


def ready(**kwargs: Any) -> GraphQLWSProtocol:
    p = GraphQLWSProtocol(**kwargs)
    p.connection_init({"token": "t"}, 0.0)
    p.subscribe("1", SUB)
    assert p.receive({"type": "connection_ack"}, 0.0) == [ConnectionAcknowledged(None)]
    p.data_to_send()
    return p


def test_subprotocol_name() -> None:
    assert GraphQLWSProtocol.subprotocol == "graphql-ws"


def test_init_then_start_after_ack() -> None:
    p = GraphQLWSProtocol()
    p.connection_init({"token": "t"}, 0.0)
    p.subscribe("1", SUB)
    assert p.data_to_send() == [{"type": "connection_init", "payload": {"token": "t"}}]
    assert p.receive({"type": "connection_ack"}, 0.0) == [ConnectionAcknowledged(None)]
    assert p.data_to_send() == [{"id": "1", "type": "start", "payload": SUB}]


def test_ack_payload_may_be_anything() -> None:
    p = GraphQLWSProtocol()
    p.connection_init(None, 0.0)
    assert p.receive({"type": "connection_ack", "payload": "hi"}, 0.0) == [
        ConnectionAcknowledged("hi")
    ]


def test_data_is_delivered() -> None:
    p = ready()
    payload = {"data": {"tick": 1}, "errors": [{"message": "partial"}]}
    assert p.receive({"id": "1", "type": "data", "payload": payload}, 1.0) == [
        NextReceived("1", payload)
    ]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"message": "one"}, [{"message": "one"}]),
        ([{"message": "a"}, {"message": "b"}], [{"message": "a"}, {"message": "b"}]),
    ],
)
def test_error_payload_is_one_error_or_a_list(payload: Any, errors: list[Any]) -> None:
    p = ready()
    assert p.receive({"id": "1", "type": "error", "payload": payload}, 1.0) == [
        ErrorReceived("1", errors)
    ]
    assert p.active_ids == frozenset()


def test_complete() -> None:
    p = ready()
    assert p.receive({"id": "1", "type": "complete"}, 1.0) == [CompleteReceived("1")]
    assert p.receive({"id": "1", "type": "data", "payload": {"data": {}}}, 1.1) == []


def test_stop_and_terminate() -> None:
    p = ready()
    p.complete("1")
    p.terminate()
    assert p.data_to_send() == [
        {"id": "1", "type": "stop"},
        {"type": "connection_terminate"},
    ]
    assert p.state is ConnectionState.CLOSED
    p.terminate()  # twice: nothing more
    assert p.data_to_send() == []


def test_terminate_before_init_sends_nothing() -> None:
    p = GraphQLWSProtocol()
    p.terminate()
    assert p.data_to_send() == []


def test_ka_is_accepted_before_and_after_ack() -> None:
    p = GraphQLWSProtocol()
    p.connection_init(None, 0.0)
    assert p.receive({"type": "ka"}, 0.1) == []
    p.receive({"type": "connection_ack"}, 0.2)
    assert p.receive({"type": "ka"}, 0.3) == []
    assert p.data_to_send() == [{"type": "connection_init"}]  # ka needs no answer


def test_connection_error_is_a_rejection() -> None:
    p = GraphQLWSProtocol()
    p.connection_init(None, 0.0)
    p.subscribe("1", SUB)
    events = p.receive({"type": "connection_error", "payload": {"message": "no"}}, 0.1)
    assert events == [ConnectionRejected({"message": "no"})]
    assert p.state is ConnectionState.CLOSED
    p.data_to_send()
    p.receive({"type": "connection_ack"}, 0.2)
    assert p.data_to_send() == []  # nothing is started after a rejection


@pytest.mark.parametrize(
    "message",
    [
        {"type": "next", "id": "1", "payload": {"data": {}}},
        {"type": "ping"},
        {"type": "pong"},
        {"type": "start", "id": "1", "payload": SUB},
        {"type": "data", "id": "1"},
        {"type": "data", "id": "1", "payload": {}},
        {"type": "data", "payload": {"data": {}}},
        {"type": "error", "id": "1", "payload": []},
        {"type": "error", "id": "1", "payload": "x"},
        {"type": "complete", "id": 3},
        {"kind": "ka"},
    ],
)
def test_invalid_messages_are_violations(message: Any) -> None:
    p = ready()
    events = p.receive(message, 1.0)
    assert len(events) == 1
    assert isinstance(events[0], ProtocolViolation)
    assert p.state is ConnectionState.CLOSED


def test_data_before_ack_is_a_violation() -> None:
    p = GraphQLWSProtocol()
    p.connection_init(None, 0.0)
    p.subscribe("1", SUB)
    events = p.receive({"type": "data", "id": "1", "payload": {"data": {}}}, 0.0)
    assert isinstance(events[0], ProtocolViolation)


def test_ack_timeout() -> None:
    p = GraphQLWSProtocol(ack_timeout=1.0)
    p.connection_init(None, 0.0)
    assert p.tick(1.0) == [AckTimedOut(1.0)]


async def test_silence_timer_moves_with_every_message() -> None:
    clock = FakeClock()
    p = GraphQLWSProtocol(ping_interval=2.0, pong_timeout=1.0)
    p.connection_init(None, clock.now())
    p.receive({"type": "connection_ack"}, clock.now())
    p.data_to_send()
    assert p.next_deadline() == 3.0
    await clock.advance(2.5)
    assert p.tick(clock.now()) == []
    p.receive({"type": "ka"}, clock.now())
    assert p.next_deadline() == 5.5
    await clock.advance(2.0)
    p.receive({"id": "9", "type": "data", "payload": {"data": {}}}, clock.now())  # unknown id
    assert p.next_deadline() == 7.5
    await clock.advance(2.9)
    assert p.tick(clock.now()) == []
    await clock.advance(0.1)
    events = p.tick(clock.now())
    assert len(events) == 1
    assert isinstance(events[0], KeepAliveTimedOut)
    assert events[0].silent_for == pytest.approx(3.0)
    assert p.data_to_send() == []  # the legacy client never pings


def test_no_silence_timer_without_ping_interval() -> None:
    p = ready(ping_interval=None)
    assert p.next_deadline() is None
    assert p.tick(1e9) == []
