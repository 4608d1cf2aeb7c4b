"""Property tests: the Discord message parser and the gateway frame decoder never raise.

Whatever a gateway dispatch carries (arbitrary JSON, or a recorded dispatch with any part replaced
by a hostile value), `parse_dispatch` returns a `BotEvent` (`Unknown` when it cannot say more),
and `GatewayProtocol.receive` returns actions (a close when the frame is unusable).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.discord.constants import MJ_APPLICATION_ID
from app.discord.events import BotEvent
from app.discord.gateway_protocol import CloseConnection, GatewayProtocol
from app.discord.parse import parse_dispatch
from tests.fixtures import DISCORD_FIXTURES, discord_fixture
from tests.hostile import PROPERTY_SETTINGS, any_text, hostile_values, json_values

EVENT_TYPES = (
    "MESSAGE_CREATE",
    "MESSAGE_UPDATE",
    "MESSAGE_DELETE",
    "INTERACTION_CREATE",
    "INTERACTION_SUCCESS",
    "INTERACTION_FAILURE",
    "INTERACTION_MODAL_CREATE",
    "INTERACTION_IFRAME_MODAL_CREATE",
    "READY",
)


def _frames(value: Any) -> list[dict[str, Any]]:
    """Every `{t, d}` dispatch frame inside a fixture file (some files hold several)."""
    if isinstance(value, dict):
        if isinstance(value.get("t"), str) and isinstance(value.get("d"), dict):
            return [value]
        return [f for v in value.values() for f in _frames(v)]
    if isinstance(value, list):
        return [f for v in value for f in _frames(v)]
    return []


RECORDED = [
    frame
    for path in sorted(DISCORD_FIXTURES.glob("*.json"))
    for frame in _frames(discord_fixture(path.name))
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, *, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(value[head], rest, new, delete=delete)
    return copy


@st.composite
def mutated_dispatch(draw: Callable[..., Any]) -> tuple[str, Any]:
    """A recorded dispatch with one to three parts replaced by hostile values or removed."""
    frame = draw(st.sampled_from(RECORDED))
    event_type, data = frame["t"], frame["d"]
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        delete = bool(path) and draw(st.booleans())
        data = _replace(data, path, None if delete else draw(hostile_values), delete=delete)
    if draw(st.booleans()):
        event_type = draw(st.sampled_from(EVENT_TYPES))
    return event_type, data


DEEP_AND_ODD_FRAMES = [
    "[" * 5000,  # deeper than Python's stack: json.loads raises RecursionError
    '{"op":' * 3000,
    "NaN",
    '{"op": 10, "d": {"heartbeat_interval": NaN}}',
    '{"op": 10, "d": {"heartbeat_interval": Infinity}}',
    '{"op": 10, "d": {"heartbeat_interval": 1' + "0" * 4000 + "}}",
]

bot_ids = st.sampled_from([None, frozenset({MJ_APPLICATION_ID}), frozenset()])


def test_recorded_dispatches_found() -> None:
    assert len(RECORDED) >= 10  # the strategy below mutates real Discord payloads


@PROPERTY_SETTINGS
@given(event_type=st.sampled_from(EVENT_TYPES) | any_text, data=json_values, ids=bot_ids)
def test_parse_dispatch_of_anything_never_raises(event_type: str, data: Any, ids: Any) -> None:
    assert isinstance(parse_dispatch(event_type, data, bot_ids=ids), BotEvent)


@PROPERTY_SETTINGS
@given(dispatch=mutated_dispatch(), ids=bot_ids)
def test_parse_dispatch_of_mutated_messages_never_raises(
    dispatch: tuple[str, Any], ids: Any
) -> None:
    event_type, data = dispatch
    assert isinstance(parse_dispatch(event_type, data, bot_ids=ids), BotEvent)


@pytest.mark.parametrize("frame", DEEP_AND_ODD_FRAMES)
def test_unusable_frames_close_the_socket(frame: str) -> None:
    protocol = GatewayProtocol("token-not-sent-anywhere", rand=lambda: 0.5)
    protocol.connection_opened(0.0)
    actions = protocol.receive(frame, 1.0)
    assert [type(a) for a in actions] == [CloseConnection], actions
    assert protocol.next_deadline() is None


def _connected() -> GatewayProtocol:
    protocol = GatewayProtocol("token-not-sent-anywhere", rand=lambda: 0.5)
    protocol.connection_opened(0.0)
    protocol.receive(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}), 0.0)
    ready = {"session_id": "s", "resume_gateway_url": "wss://g", "user": {"id": "1"}}
    protocol.receive(json.dumps({"op": 0, "s": 1, "t": "READY", "d": ready}), 0.0)
    return protocol


frame_texts = (
    any_text
    | st.sampled_from(DEEP_AND_ODD_FRAMES)
    | st.builds(
        lambda op, t, d, s: json.dumps({"op": op, "t": t, "d": d, "s": s}),
        hostile_values,
        st.sampled_from(EVENT_TYPES) | hostile_values,
        hostile_values,
        hostile_values,
    )
)


@PROPERTY_SETTINGS
@given(frame=frame_texts | st.binary(max_size=64), fresh=st.booleans())
def test_gateway_frames_never_raise(frame: str | bytes, fresh: bool) -> None:
    protocol = GatewayProtocol("token-not-sent-anywhere", rand=lambda: 0.5)
    if fresh:
        protocol.connection_opened(0.0)  # waiting for HELLO
    else:
        protocol = _connected()
    actions = protocol.receive(frame, 1.0)
    assert isinstance(actions, list)
    protocol.tick(2.0)
