"""A dispatch's JSON, built around data encoded once, is the frame the session recorded."""

from __future__ import annotations

import json

from app.sandbox.gateway_session import dispatch_tail, dispatch_text, encode


def test_dispatch_text_is_the_frame_in_json() -> None:
    data = {"id": "1", "content": '**a fox** — «ünïcode» "quoted" \\ <@2>', "n": [1, None, True]}
    text = dispatch_text(42, dispatch_tail("MESSAGE_CREATE", encode(data)))
    assert json.loads(text) == {"op": 0, "s": 42, "t": "MESSAGE_CREATE", "d": data}
    assert text == encode({"op": 0, "s": 42, "t": "MESSAGE_CREATE", "d": data})
