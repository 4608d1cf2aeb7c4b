"""The sans-IO gateway state machine, driven synchronously with recorded frames and a fake clock."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from app.discord.gateway_events import Dispatch, GatewayFatal, Ready, Reconnecting, Resumed
from app.discord.gateway_protocol import CloseConnection, GatewayProtocol, SendFrame, State
from app.discord.gateway_wire import CloseAction, backoff_delay, classify_close, gateway_url

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gabcde.synthetic-token-value-for-tests-000"
SESSION = "9f1c2b3a4d5e6f708192a3b4c5d6e7f8"


def _proto(**kwargs: Any) -> GatewayProtocol:
    return GatewayProtocol(TOKEN, rand=lambda: 0.5, **kwargs)


def _frame(payload: Any) -> str:
    return json.dumps(payload)


def _connected(spec_fixture: Callable[..., Any], now: float = 0.0) -> GatewayProtocol:
    proto = _proto()
    proto.connection_opened(now)
    proto.receive(_frame(spec_fixture("gateway-hello.json", "hello")), now)
    proto.receive(_frame(spec_fixture("ready.json")), now)
    return proto


def test_hello_then_identify_as_user_client(spec_fixture: Callable[..., Any]) -> None:
    proto = _proto()
    assert proto.connect_url("ws://127.0.0.1:9") == "ws://127.0.0.1:9/?v=9&encoding=json"
    proto.connection_opened(100.0)
    assert proto.state is State.AWAIT_HELLO
    actions = proto.receive(_frame(spec_fixture("gateway-hello.json", "hello")), 100.0)
    expected = spec_fixture("identify.json")
    expected["d"]["token"] = TOKEN
    assert actions == [SendFrame(expected)]
    assert "intents" not in actions[0].payload["d"]  # type: ignore[union-attr]
    assert proto.state is State.IDENTIFYING
    # first heartbeat after interval * jitter (jitter 0.5 here)
    assert proto.next_deadline() == pytest.approx(100.0 + 41.25 * 0.5)


def test_ready_records_session(spec_fixture: Callable[..., Any]) -> None:
    proto = _proto()
    proto.connection_opened(0)
    proto.receive(_frame(spec_fixture("gateway-hello.json", "hello")), 0)
    actions = proto.receive(_frame(spec_fixture("ready.json")), 1)
    assert actions == [
        Ready(
            session_id=SESSION,
            user_id="1100000000000000001",
            resume_gateway_url="wss://gateway-us-east1-b.discord.gg",
            username="testuser",
        )
    ]
    assert (proto.state, proto.seq, proto.session_id) == (State.CONNECTED, 1, SESSION)


def test_heartbeats_follow_interval_and_acks(spec_fixture: Callable[..., Any]) -> None:
    proto = _connected(spec_fixture)
    first = 41.25 * 0.5
    assert proto.tick(first - 0.01) == []
    assert proto.tick(first) == [SendFrame({"op": 1, "d": 1})]
    assert proto.next_deadline() == pytest.approx(first + 41.25)
    proto.receive(_frame(spec_fixture("gateway-hello.json", "heartbeat_ack_server")), first + 0.2)
    assert proto.last_latency == pytest.approx(0.2)
    proto.receive(_frame({"op": 0, "s": 42, "t": "MESSAGE_CREATE", "d": {}}), first + 1)
    expected = spec_fixture("gateway-hello.json", "heartbeat_client_after_dispatches")
    assert proto.tick(first + 41.25) == [SendFrame(expected)]


def test_missed_ack_is_a_zombie_and_resumes(spec_fixture: Callable[..., Any]) -> None:
    proto = _connected(spec_fixture)
    first = 41.25 * 0.5
    proto.tick(first)  # heartbeat sent, never ACKed
    actions = proto.tick(first + 41.25)
    assert len(actions) == 1 and isinstance(actions[0], CloseConnection)
    assert actions[0].code not in (1000, 1001)
    assert proto.tick(first + 100) == []  # nothing more until the socket is gone
    decision = proto.connection_closed(actions[0].code, first + 41.3)
    assert isinstance(decision, Reconnecting) and decision.resume
    assert 0.8 <= decision.delay <= 1.2
    assert proto.connect_url("ws://ignored") == (
        "wss://gateway-us-east1-b.discord.gg/?v=9&encoding=json"
    )
    proto.connection_opened(100)
    actions = proto.receive(_frame(spec_fixture("gateway-hello.json", "hello")), 100)
    expected = spec_fixture("gateway-resume-reconnect-invalid.json", "resume_client")
    expected["d"].update(token=TOKEN, seq=1)
    assert actions == [SendFrame(expected)]
    assert proto.state is State.RESUMING


def test_resume_replays_then_resumed(spec_fixture: Callable[..., Any]) -> None:
    proto = _connected(spec_fixture)
    proto.connection_closed(None, 5)
    proto.connection_opened(6)
    proto.receive(_frame(spec_fixture("gateway-hello.json", "hello")), 6)
    replay = spec_fixture("gateway-resume-reconnect-invalid.json", "replayed_dispatch_example")
    actions = proto.receive(_frame(replay), 6)
    assert actions == [Dispatch(type="MESSAGE_UPDATE", seq=1338, data=replay["d"])]
    resumed = spec_fixture("gateway-resume-reconnect-invalid.json", "resumed_server")
    assert proto.receive(_frame(resumed), 6) == [Resumed(session_id=SESSION)]
    assert (proto.state, proto.seq, proto.attempt) == (State.CONNECTED, 1339, 0)


def test_server_heartbeat_request_answered_at_once(spec_fixture: Callable[..., Any]) -> None:
    proto = _connected(spec_fixture)
    request = spec_fixture("gateway-hello.json", "heartbeat_request_server")
    assert proto.receive(_frame(request), 1) == [SendFrame({"op": 1, "d": 1})]


@pytest.mark.parametrize(
    ("key", "resume"),
    [
        pytest.param("reconnect_server", True, id="op7-reconnect"),
        pytest.param("invalid_session_resumable", True, id="op9-true"),
        pytest.param("invalid_session_not_resumable", False, id="op9-false"),
    ],
)
def test_reconnect_and_invalid_session(
    spec_fixture: Callable[..., Any], key: str, resume: bool
) -> None:
    proto = _connected(spec_fixture)
    actions = proto.receive(_frame(spec_fixture("gateway-resume-reconnect-invalid.json", key)), 2)
    assert len(actions) == 1 and isinstance(actions[0], CloseConnection)
    assert actions[0].code == 4000
    decision = proto.connection_closed(4000, 2)
    assert isinstance(decision, Reconnecting) and decision.resume is resume
    proto.connection_opened(3)
    sent = proto.receive(_frame(spec_fixture("gateway-hello.json", "hello")), 3)
    assert sent[0].payload["op"] == (6 if resume else 2)  # type: ignore[union-attr]


def test_close_codes_match_fixture(spec_fixture: Callable[..., Any]) -> None:
    table = spec_fixture("close-codes.json", "codes")
    assert {c["code"]: classify_close(c["code"]).value for c in table} == {
        c["code"]: c["action"] for c in table
    }
    assert classify_close(None) is CloseAction.RESUME


@pytest.mark.parametrize(
    ("code", "expect"),
    [
        pytest.param(4004, "fatal", id="4004-bad-token"),
        pytest.param(4014, "fatal", id="4014-intents"),
        pytest.param(4009, "identify", id="4009-session-timeout"),
        pytest.param(4000, "resume", id="4000-unknown"),
        pytest.param(1006, "resume", id="1006-drop"),
        pytest.param(None, "resume", id="no-code"),
    ],
)
def test_connection_closed_decision(
    spec_fixture: Callable[..., Any], code: int | None, expect: str
) -> None:
    proto = _connected(spec_fixture)
    decision = proto.connection_closed(code, 10)
    if expect == "fatal":
        assert isinstance(decision, GatewayFatal) and decision.close_code == code
        assert proto.state is State.FATAL
        with pytest.raises(RuntimeError):
            proto.connection_opened(11)
        assert TOKEN not in decision.reason
    else:
        assert isinstance(decision, Reconnecting)
        assert decision.resume is (expect == "resume")


def test_fatal_server_code_wins_over_our_own_close(spec_fixture: Callable[..., Any]) -> None:
    proto = _connected(spec_fixture)
    proto.receive(_frame({"op": 7, "d": None}), 1)
    assert isinstance(proto.connection_closed(4004, 1), GatewayFatal)


def test_identify_rejected_before_ready_is_fatal_without_retry_loop() -> None:
    proto = _proto()
    proto.connection_opened(0)
    proto.receive(_frame({"op": 10, "d": {"heartbeat_interval": 500}}), 0)
    decision = proto.connection_closed(4004, 0.1)
    assert isinstance(decision, GatewayFatal)
    assert proto.next_deadline() is None and proto.tick(1000) == []


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        pytest.param(1, 0.8, 1.2, id="1"),
        pytest.param(2, 1.6, 2.4, id="2"),
        pytest.param(4, 6.4, 9.6, id="4"),
        pytest.param(5, 12.8, 19.2, id="5"),
        pytest.param(6, 24.0, 30.0, id="6"),
        pytest.param(50, 24.0, 30.0, id="capped"),
    ],
)
def test_backoff_delay(attempt: int, low: float, high: float) -> None:
    for jitter in (0.0, 0.5, 0.999):
        assert low <= backoff_delay(attempt, jitter) <= high
    assert backoff_delay(attempt, 0.0) < backoff_delay(attempt, 0.999)  # jitter is applied


def test_attempts_grow_until_a_session_is_established(spec_fixture: Callable[..., Any]) -> None:
    proto = _proto()
    delays = []
    for _ in range(7):
        proto.connection_opened(0)
        decision = proto.connection_closed(None, 0)
        assert isinstance(decision, Reconnecting)
        delays.append(decision.delay)
    assert delays == sorted(delays) and delays[-1] == 30.0
    proto.connection_opened(0)
    proto.receive(_frame(spec_fixture("gateway-hello.json", "hello")), 0)
    proto.receive(_frame(spec_fixture("ready.json")), 0)
    assert proto.attempt == 0


def test_zlib_stream_frames(spec_fixture: Callable[..., Any]) -> None:
    proto = _proto(compress=True)
    assert proto.connect_url("ws://h:1/") == "ws://h:1/?v=9&encoding=json&compress=zlib-stream"
    proto.connection_opened(0)
    deflate = zlib.compressobj()
    hello = deflate.compress(_frame(spec_fixture("gateway-hello.json", "hello")).encode())
    hello += deflate.flush(zlib.Z_SYNC_FLUSH)
    assert proto.receive(hello[:7], 0) == []  # incomplete until 00 00 ff ff
    assert isinstance(proto.receive(hello[7:], 0)[0], SendFrame)
    ready = deflate.compress(_frame(spec_fixture("ready.json")).encode())
    ready += deflate.flush(zlib.Z_SYNC_FLUSH)  # same inflate context across messages
    assert isinstance(proto.receive(ready, 0)[0], Ready)


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param("not json", id="text"),
        pytest.param("[1,2]", id="list"),
        pytest.param(b"\xff\xfe", id="bytes"),
    ],
)
def test_undecodable_frame_closes_for_resume(
    spec_fixture: Callable[..., Any], garbage: str | bytes
) -> None:
    proto = _connected(spec_fixture)
    actions = proto.receive(garbage, 1)
    assert len(actions) == 1 and isinstance(actions[0], CloseConnection)
    decision = proto.connection_closed(actions[0].code, 1)
    assert isinstance(decision, Reconnecting) and decision.resume


def test_no_hello_times_out() -> None:
    proto = _proto(hello_timeout=5)
    proto.connection_opened(0)
    assert proto.next_deadline() == 5
    assert proto.tick(4.9) == []
    assert isinstance(proto.tick(5)[0], CloseConnection)


def test_unknown_ops_and_frames_while_disconnected_are_ignored(
    spec_fixture: Callable[..., Any],
) -> None:
    proto = _connected(spec_fixture)
    assert proto.receive(_frame({"op": 99}), 1) == []
    proto.connection_closed(None, 2)
    assert proto.receive(_frame({"op": 0, "s": 5, "t": "X", "d": {}}), 3) == []
    assert proto.seq == 1


def test_shutdown_closes_with_1000_and_forgets_session(spec_fixture: Callable[..., Any]) -> None:
    proto = _connected(spec_fixture)
    assert proto.shutdown().code == 1000
    assert not proto.can_resume


def test_token_not_in_repr(spec_fixture: Callable[..., Any]) -> None:
    assert TOKEN not in repr(_connected(spec_fixture))


@pytest.mark.parametrize(
    ("base", "compress", "expected"),
    [
        pytest.param(
            "ws://127.0.0.1:8080", False, "ws://127.0.0.1:8080/?v=9&encoding=json", id="no-slash"
        ),
        pytest.param(
            "ws://127.0.0.1:8080/", False, "ws://127.0.0.1:8080/?v=9&encoding=json", id="slash"
        ),
        pytest.param(
            "wss://gateway.discord.gg/?v=10&encoding=etf&compress=zlib-stream",
            False,
            "wss://gateway.discord.gg/?v=9&encoding=json",
            id="override-query",
        ),
        pytest.param(
            "ws://h/gw?x=1",
            True,
            "ws://h/gw?x=1&v=9&encoding=json&compress=zlib-stream",
            id="path-and-compress",
        ),
    ],
)
def test_gateway_url(base: str, compress: bool, expected: str) -> None:
    assert gateway_url(base, compress=compress) == expected
