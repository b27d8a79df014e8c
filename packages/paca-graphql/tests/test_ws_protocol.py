"""The graphql-transport-ws sans-I/O client: every message type, invalid input, timers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from paca.graphql._ws_events import (
    AckTimedOut,
    CompleteReceived,
    ConnectionAcknowledged,
    ConnectionState,
    ErrorReceived,
    KeepAliveTimedOut,
    NextReceived,
    ProtocolViolation,
)
from paca.graphql._ws_protocol import GraphQLTransportWSProtocol
from paca.resilience import FakeClock

SUB = {"query": "subscription { tick }"}


def ready(**kwargs: Any) -> GraphQLTransportWSProtocol:
    """A protocol acknowledged at t=0 with operation "1" running; its queue drained."""
    p = GraphQLTransportWSProtocol(**kwargs)
    p.connection_init(None, 0.0)
    p.subscribe("1", SUB)
    assert p.receive({"type": "connection_ack"}, 0.0) == [ConnectionAcknowledged(None)]
    p.data_to_send()
    return p


def is_violation(events: list[Any]) -> bool:
    return len(events) == 1 and isinstance(events[0], ProtocolViolation)


# -- connection_init and subscribe ------------------------------------------------------------


def test_connection_init_with_and_without_payload() -> None:
    p = GraphQLTransportWSProtocol()
    assert p.state is ConnectionState.NEW
    p.connection_init({"token": "t"}, 0.0)
    assert p.data_to_send() == [{"type": "connection_init", "payload": {"token": "t"}}]
    assert p.state is ConnectionState.INITIALISING
    q = GraphQLTransportWSProtocol()
    q.connection_init(None, 0.0)
    assert q.data_to_send() == [{"type": "connection_init"}]


def test_connection_init_twice_is_misuse() -> None:
    p = GraphQLTransportWSProtocol()
    p.connection_init(None, 0.0)
    with pytest.raises(RuntimeError, match="connection_init"):
        p.connection_init(None, 0.0)


def test_subscribe_waits_for_the_ack() -> None:
    p = GraphQLTransportWSProtocol()
    p.connection_init(None, 0.0)
    p.subscribe("1", SUB)
    assert p.data_to_send() == [{"type": "connection_init"}]
    assert p.active_ids == frozenset()
    events = p.receive({"type": "connection_ack", "payload": {"server": "x"}}, 1.0)
    assert events == [ConnectionAcknowledged({"server": "x"})]
    assert p.data_to_send() == [{"id": "1", "type": "subscribe", "payload": SUB}]
    assert p.active_ids == {"1"}
    assert p.state is ConnectionState.READY


def test_subscribe_after_ack_is_sent_at_once() -> None:
    p = ready()
    p.subscribe("2", SUB)
    assert p.data_to_send() == [{"id": "2", "type": "subscribe", "payload": SUB}]


@pytest.mark.parametrize("bad", ["", 1, None])
def test_subscribe_needs_a_string_id(bad: Any) -> None:
    with pytest.raises(ValueError, match="non-empty str"):
        GraphQLTransportWSProtocol().subscribe(bad, SUB)


def test_subscribe_rejects_an_id_in_use() -> None:
    p = GraphQLTransportWSProtocol()
    p.subscribe("1", SUB)  # pending
    with pytest.raises(ValueError, match="already in use"):
        p.subscribe("1", SUB)
    q = ready()
    with pytest.raises(ValueError, match="already in use"):
        q.subscribe("1", SUB)


def test_subscribe_on_a_closed_connection_is_misuse() -> None:
    p = ready()
    p.terminate()
    with pytest.raises(RuntimeError, match="closed"):
        p.subscribe("2", SUB)


# -- client complete and terminate -------------------------------------------------------------


def test_complete_an_active_operation_sends_complete() -> None:
    p = ready()
    p.complete("1")
    assert p.data_to_send() == [{"id": "1", "type": "complete"}]
    assert p.active_ids == frozenset()
    p.complete("1")  # twice: nothing more
    assert p.data_to_send() == []


def test_complete_a_pending_or_unknown_operation_sends_nothing() -> None:
    p = GraphQLTransportWSProtocol()
    p.connection_init(None, 0.0)
    p.subscribe("1", SUB)
    p.complete("1")
    p.complete("zzz")
    p.data_to_send()
    p.receive({"type": "connection_ack"}, 0.0)
    assert p.data_to_send() == []


def test_terminate_closes_without_sending() -> None:
    p = ready()
    p.terminate()
    assert p.state is ConnectionState.CLOSED
    assert p.active_ids == frozenset()
    p.complete("1")
    assert p.data_to_send() == []
    assert p.next_deadline() is None


# -- server messages ---------------------------------------------------------------------------


def test_next_is_delivered() -> None:
    p = ready()
    payload = {"data": {"tick": 1}}
    assert p.receive({"id": "1", "type": "next", "payload": payload}, 1.0) == [
        NextReceived("1", payload)
    ]


def test_next_with_errors_and_partial_data_is_delivered() -> None:
    p = ready()
    payload = {"data": {"tick": None}, "errors": [{"message": "boom"}]}
    assert p.receive({"id": "1", "type": "next", "payload": payload}, 1.0) == [
        NextReceived("1", payload)
    ]


def test_error_ends_the_operation() -> None:
    p = ready()
    errors = [{"message": "bad field"}]
    assert p.receive({"id": "1", "type": "error", "payload": errors}, 1.0) == [
        ErrorReceived("1", errors)
    ]
    assert p.active_ids == frozenset()
    assert p.state is ConnectionState.READY


def test_complete_ends_the_operation_and_late_messages_are_ignored() -> None:
    p = ready()
    assert p.receive({"id": "1", "type": "complete"}, 1.0) == [CompleteReceived("1")]
    assert p.active_ids == frozenset()
    late = {"id": "1", "type": "next", "payload": {"data": {}}}
    assert p.receive(late, 1.1) == []
    assert p.receive({"id": "1", "type": "complete"}, 1.2) == []
    assert p.state is ConnectionState.READY


def test_messages_for_unknown_ids_are_ignored() -> None:
    p = ready()
    assert p.receive({"id": "9", "type": "next", "payload": {"data": {}}}, 1.0) == []
    assert p.receive({"id": "9", "type": "error", "payload": [{"message": "x"}]}, 1.0) == []
    assert p.state is ConnectionState.READY


@pytest.mark.parametrize("before_ack", [True, False])
def test_ping_is_answered_with_pong(before_ack: bool) -> None:
    p = GraphQLTransportWSProtocol()
    p.connection_init(None, 0.0)
    p.data_to_send()
    if not before_ack:
        p.receive({"type": "connection_ack"}, 0.0)
    assert p.receive({"type": "ping", "payload": {"x": 1}}, 0.5) == []
    assert p.data_to_send() == [{"type": "pong"}]


def test_unsolicited_pong_is_ignored() -> None:
    p = ready(ping_interval=5.0, pong_timeout=1.0)
    assert p.receive({"type": "pong"}, 1.0) == []
    assert p.next_deadline() == 5.0  # unchanged: no ping was in flight
    assert p.data_to_send() == []


def test_duplicate_ack_changes_nothing() -> None:
    p = ready()
    assert p.receive({"type": "connection_ack"}, 1.0) == []
    assert p.state is ConnectionState.READY
    assert p.data_to_send() == []


def test_ack_payload_is_passed_on() -> None:
    p = GraphQLTransportWSProtocol()
    p.connection_init(None, 0.0)
    assert p.receive({"type": "connection_ack", "payload": {"a": 1}}, 0.0) == [
        ConnectionAcknowledged({"a": 1})
    ]


# -- invalid messages --------------------------------------------------------------------------

INVALID_AFTER_ACK: list[Any] = [
    [],
    "next",
    1,
    None,
    {},
    {"type": 1},
    {"type": None},
    {"type": "nonsense"},
    {"type": "connection_init"},
    {"type": "subscribe", "id": "1", "payload": SUB},
    {"type": "connection_error"},
    {"type": "ka"},
    {"type": "data", "id": "1", "payload": {"data": {}}},
    {"type": "next", "payload": {"data": {}}},
    {"type": "next", "id": "", "payload": {"data": {}}},
    {"type": "next", "id": 1, "payload": {"data": {}}},
    {"type": "next", "id": "1"},
    {"type": "next", "id": "1", "payload": []},
    {"type": "next", "id": "1", "payload": {}},
    {"type": "next", "id": "1", "payload": {"extensions": {}}},
    {"type": "next", "id": "1", "payload": {"data": None, "errors": "boom"}},
    {"type": "error", "id": "1"},
    {"type": "error", "id": "1", "payload": []},
    {"type": "error", "id": "1", "payload": {"message": "x"}},
    {"type": "error", "id": "1", "payload": ["x"]},
    {"type": "complete"},
    {"type": "complete", "id": None},
]


@pytest.mark.parametrize("message", INVALID_AFTER_ACK)
def test_invalid_messages_are_violations(message: Any) -> None:
    p = ready(ping_interval=5.0)
    events = p.receive(message, 1.0)
    assert is_violation(events), events
    assert p.state is ConnectionState.CLOSED
    assert p.next_deadline() is None
    assert p.receive({"id": "1", "type": "next", "payload": {"data": {}}}, 2.0) == []
    assert p.tick(100.0) == []


@pytest.mark.parametrize(
    "message",
    [
        {"type": "next", "id": "1", "payload": {"data": {}}},
        {"type": "error", "id": "1", "payload": [{"message": "x"}]},
        {"type": "complete", "id": "1"},
    ],
)
def test_operation_messages_before_ack_are_violations(message: Any) -> None:
    p = GraphQLTransportWSProtocol()
    p.connection_init(None, 0.0)
    p.subscribe("1", SUB)
    events = p.receive(message, 0.1)
    assert is_violation(events)
    assert "before connection_ack" in events[0].reason


def test_ack_before_init_is_a_violation() -> None:
    p = GraphQLTransportWSProtocol()
    assert is_violation(p.receive({"type": "connection_ack"}, 0.0))


def test_ack_with_a_non_object_payload_is_a_violation() -> None:
    p = GraphQLTransportWSProtocol()
    p.connection_init(None, 0.0)
    assert is_violation(p.receive({"type": "connection_ack", "payload": [1]}, 0.0))


@pytest.mark.parametrize("text", ["not json", "{", b"\xff\xfe", ""])
def test_text_that_is_not_json_is_a_violation(text: str | bytes) -> None:
    p = ready()
    events = p.receive_text(text, 0.0)
    assert is_violation(events)
    assert "JSON" in events[0].reason
    assert p.receive_text("{}", 0.0) == []  # closed now


def test_text_and_bytes_are_parsed() -> None:
    p = ready()
    message = {"id": "1", "type": "next", "payload": {"data": {"n": 1}}}
    assert p.receive_text(json.dumps(message), 0.0) == [NextReceived("1", {"data": {"n": 1}})]
    assert p.receive_text(json.dumps(message).encode(), 0.0) == [
        NextReceived("1", {"data": {"n": 1}})
    ]


# -- timers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"ping_interval": 0}, "ping_interval"),
        ({"ping_interval": -1.0}, "ping_interval"),
        ({"ping_interval": float("nan")}, "ping_interval"),
        ({"pong_timeout": float("inf")}, "pong_timeout"),
        ({"pong_timeout": None}, "pong_timeout"),
        ({"ack_timeout": 0.0}, "ack_timeout"),
        ({"ack_timeout": "1"}, "ack_timeout"),
    ],
)
def test_bad_durations_are_rejected(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        GraphQLTransportWSProtocol(**kwargs)


def test_ack_timeout() -> None:
    p = GraphQLTransportWSProtocol(ack_timeout=3.0)
    assert p.next_deadline() is None
    p.connection_init(None, 10.0)
    assert p.next_deadline() == 13.0
    assert p.tick(12.9) == []
    assert p.tick(13.5) == [AckTimedOut(3.5)]
    assert p.state is ConnectionState.CLOSED
    assert p.next_deadline() is None


def test_no_ack_timeout_waits_forever() -> None:
    p = GraphQLTransportWSProtocol(ack_timeout=None)
    p.connection_init(None, 0.0)
    assert p.next_deadline() is None
    assert p.tick(1e9) == []


def test_keepalive_off_means_no_timer_after_the_ack() -> None:
    p = ready(ping_interval=None)
    assert p.next_deadline() is None
    assert p.tick(1e9) == []
    assert p.data_to_send() == []


async def test_ping_pong_cycle_with_a_fake_clock() -> None:
    clock = FakeClock()
    p = GraphQLTransportWSProtocol(ping_interval=5.0, pong_timeout=2.0)
    p.connection_init(None, clock.now())
    p.receive({"type": "connection_ack"}, clock.now())
    p.data_to_send()
    assert p.next_deadline() == 5.0
    await clock.advance(4.9)
    assert p.tick(clock.now()) == []
    assert p.data_to_send() == []
    await clock.advance(0.1)
    assert p.tick(clock.now()) == []
    assert p.data_to_send() == [{"type": "ping"}]
    assert p.next_deadline() == 7.0  # the pong deadline
    assert p.tick(clock.now()) == []
    assert p.data_to_send() == []  # one ping in flight at a time
    await clock.advance(1.0)
    p.receive({"type": "pong"}, clock.now())
    assert p.next_deadline() == 11.0  # next ping, counted from the pong
    await clock.advance(5.0)
    p.tick(clock.now())
    assert p.data_to_send() == [{"type": "ping"}]
    await clock.advance(1.999)
    assert p.tick(clock.now()) == []
    await clock.advance(0.001)
    events = p.tick(clock.now())
    assert len(events) == 1
    assert isinstance(events[0], KeepAliveTimedOut)
    assert events[0].silent_for == pytest.approx(2.0)
    assert p.state is ConnectionState.CLOSED


def test_other_messages_do_not_stand_in_for_a_pong() -> None:
    p = ready(ping_interval=1.0, pong_timeout=1.0)
    p.tick(1.0)
    assert p.data_to_send() == [{"type": "ping"}]
    p.receive({"id": "1", "type": "next", "payload": {"data": {}}}, 1.5)
    p.receive({"type": "ping"}, 1.6)
    assert isinstance(p.tick(2.0)[0], KeepAliveTimedOut)


def test_a_late_tick_still_pings_then_times_out() -> None:
    p = ready(ping_interval=1.0, pong_timeout=1.0)
    p.tick(50.0)  # the caller was late: the ping goes out now, the pong is due at 51
    assert p.data_to_send() == [{"type": "ping"}]
    assert p.next_deadline() == 51.0
    assert p.tick(50.5) == []
    assert isinstance(p.tick(51.0)[0], KeepAliveTimedOut)
