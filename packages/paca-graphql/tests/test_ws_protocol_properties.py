"""Properties of both protocol cores and of the close classification, with hypothesis."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    classify_close,
)
from paca.graphql._ws_legacy import GraphQLWSProtocol
from paca.graphql._ws_protocol import GraphQLTransportWSProtocol, WSClientProtocol
from paca.result import ErrorKind

EVENTS = (
    AckTimedOut,
    CompleteReceived,
    ConnectionAcknowledged,
    ConnectionRejected,
    ErrorReceived,
    KeepAliveTimedOut,
    NextReceived,
    ProtocolViolation,
)
TERMINAL = (AckTimedOut, ConnectionRejected, KeepAliveTimedOut, ProtocolViolation)
TYPES = [
    "connection_ack",
    "connection_error",
    "ping",
    "pong",
    "next",
    "data",
    "error",
    "complete",
    "ka",
    "subscribe",
    "bogus",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries({"data": json_values}),
    st.fixed_dictionaries({"data": json_values, "errors": st.lists(json_values, max_size=2)}),
    st.lists(st.fixed_dictionaries({"message": st.text(max_size=5)}), max_size=2),
)
messages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(TYPES)},
        optional={"id": st.sampled_from(["1", "2", "", 1]), "payload": payloads},
    ),
)
steps = st.lists(
    st.tuples(st.sampled_from(["receive", "tick", "complete"]), messages, st.floats(0, 3)),
    max_size=25,
)
protocols = st.sampled_from([GraphQLTransportWSProtocol, GraphQLWSProtocol])


@settings(max_examples=300, deadline=None)
@given(protocols, steps)
def test_any_message_sequence_is_handled_without_raising(
    cls: type[WSClientProtocol], sequence: list[tuple[str, Any, float]]
) -> None:
    p = cls(ping_interval=1.0, pong_timeout=1.0, ack_timeout=5.0)
    now = 0.0
    p.connection_init(None, now)
    p.subscribe("1", {"query": "subscription { x }"})
    ended = False
    for action, message, step in sequence:
        now += step
        if action == "receive":
            events = p.receive(message, now)
        elif action == "tick":
            events = p.tick(now)
        else:
            p.complete("1")
            events = []
        assert all(isinstance(e, EVENTS) for e in events)
        if ended:
            assert events == []  # nothing after the end
        for event in events:
            if isinstance(event, (NextReceived, ErrorReceived, CompleteReceived)):
                assert event.id == "1"
        if any(isinstance(e, TERMINAL) for e in events):
            ended = True
            assert p.state is ConnectionState.CLOSED
            assert p.next_deadline() is None
        for out in p.data_to_send():
            assert isinstance(out, dict)
            assert isinstance(out["type"], str)
        deadline = p.next_deadline()
        assert deadline is None or deadline >= 0


@settings(max_examples=200, deadline=None)
@given(
    cls=protocols,
    interval=st.floats(0.01, 100),
    timeout=st.floats(0.01, 100),
    quiet_from=st.floats(0, 50),
    tick_every=st.floats(0.1, 5),
)
def test_silence_is_detected_within_interval_plus_timeout(
    cls: type[WSClientProtocol],
    interval: float,
    timeout: float,
    quiet_from: float,
    tick_every: float,
) -> None:
    """A caller that ticks at next_deadline() sees a silent server within the bound."""
    p = cls(ping_interval=interval, pong_timeout=timeout, ack_timeout=None)
    p.connection_init(None, 0.0)
    p.receive({"type": "connection_ack"}, 0.0)
    now = 0.0
    while now < quiet_from:  # a chatty server: sends ka, answers every ping at once
        now = min(quiet_from, now + tick_every)
        if cls is GraphQLWSProtocol:
            p.receive({"type": "ka"}, now)
        assert p.tick(now) == []
        if {"type": "ping"} in p.data_to_send():
            p.receive({"type": "pong"}, now)
    detected = None
    for _ in range(10):
        deadline = p.next_deadline()
        assert deadline is not None
        now = max(now, deadline)
        if any(isinstance(e, KeepAliveTimedOut) for e in p.tick(now)):
            detected = now
            break
    assert detected is not None
    assert detected - quiet_from <= interval + timeout + 1e-6 * (1 + quiet_from)


@pytest.mark.parametrize(
    ("code", "kind", "retryable"),
    [
        (4401, ErrorKind.AUTH, False),
        (4403, ErrorKind.AUTH, False),
        (4400, ErrorKind.UNKNOWN, False),
        (4406, ErrorKind.UNKNOWN, False),
        (4409, ErrorKind.UNKNOWN, False),
        (4500, ErrorKind.UNKNOWN, False),
        (1002, ErrorKind.UNKNOWN, False),
        (4408, ErrorKind.TIMEOUT, True),
        (4504, ErrorKind.TIMEOUT, True),
        (4429, ErrorKind.RATE_LIMITED, True),
        (None, ErrorKind.CONNECTION, True),
        (1000, ErrorKind.CONNECTION, True),
        (1001, ErrorKind.CONNECTION, True),
        (1006, ErrorKind.CONNECTION, True),
        (1011, ErrorKind.UNAVAILABLE, True),
        (1012, ErrorKind.UNAVAILABLE, True),
        (1013, ErrorKind.UNAVAILABLE, True),
    ],
)
def test_classify_close(code: int | None, kind: ErrorKind, retryable: bool) -> None:
    outcome = classify_close(code, "why")
    assert (outcome.kind, outcome.retryable) == (kind, retryable)
    assert "why" in outcome.message


@given(st.integers(0, 5000) | st.none(), st.text(max_size=20))
def test_classify_close_is_total(code: int | None, reason: str) -> None:
    outcome = classify_close(code, reason)
    assert isinstance(outcome.kind, ErrorKind)
    assert outcome.message
    if outcome.retryable:
        assert outcome.kind.is_retryable
