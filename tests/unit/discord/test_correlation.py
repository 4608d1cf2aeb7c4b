"""Correlation: nonces, prompt normalisation, and the fixtures' imagine → U2 story."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from app.discord.correlation import Correlator, normalize_prompt, prompts_match
from app.discord.nonces import NonceGenerator, snowflake, snowflake_time
from app.discord.parse import parse_dispatch

PROMPT = "a red fox in a snowy forest --ar 3:2 --v 6.1"
T0 = 1_746_093_600.0  # 2025-05-01T10:00:00Z


def test_nonce_generator_is_strictly_increasing_snowflakes() -> None:
    gen = NonceGenerator()
    nonces = [gen.next(T0) for _ in range(1000)] + [gen.next(T0 - 5)]
    assert [int(n) for n in nonces] == sorted({int(n) for n in nonces})
    assert all(len(n) <= 25 and n.isdigit() for n in nonces)
    assert abs(snowflake_time(nonces[0]) - T0) < 0.001
    assert snowflake(T0, 0) == nonces[0]


PROMPTS = [
    pytest.param("a red fox —ar 3:2", "a red fox --ar 3:2", True, id="em-dash"),
    pytest.param("a red fox –v 6", "a red fox --v 6", True, id="en-dash"),
    pytest.param(
        "https://example.com/cat.png a cat", "<https://s.mj.run/AbC12> a cat", True, id="url"
    ),
    pytest.param("a  red\n fox ", "a red fox", True, id="whitespace"),
    pytest.param("a red fox", "a red fox --v 6.1 --style raw", True, id="default-params"),
    pytest.param("A Red Fox", "a red fox", True, id="case"),
    pytest.param("word " * 80, ("word " * 40) + "…", True, id="truncated-ellipsis"),
    pytest.param("word " * 80, "word " * 40, True, id="truncated"),
    pytest.param("a red fox", "a blue fox", False, id="different"),
    pytest.param("cat", "cat dog", False, id="short-prefix-is-not-enough"),
    pytest.param("a red fox in the snow", "a red fox", False, id="echo-shorter-but-short"),
]


@pytest.mark.parametrize(("submitted", "echoed", "expected"), PROMPTS)
def test_prompts_match(submitted: str, echoed: str, expected: bool) -> None:
    assert prompts_match(submitted, echoed) is expected


def test_normalize_prompt_keeps_params() -> None:
    assert normalize_prompt("a  fox —ar 3:2 https://x.test/a.png") == "a fox --ar 3:2 <link>"


def _event(spec_fixture: Callable[..., Any], name: str, *path: str) -> Any:
    frame = spec_fixture(name, *path)
    return parse_dispatch(frame["t"], frame["d"])


def test_correlator_imagine_then_upscale_story(spec_fixture: Callable[..., Any]) -> None:
    corr = Correlator()
    corr.track("imagine", nonce="1300000000000000001", now=T0, prompt=PROMPT)
    story = [
        ("interaction-events.dispatch.json", ("interaction_create",)),
        ("interaction-events.dispatch.json", ("interaction_success",)),
        ("mj-start.message_create.json", ()),
        ("mj-progress.message_update.json", ()),
        ("gateway-resume-reconnect-invalid.json", ("replayed_dispatch_example",)),
        ("mj-imagine-done.message_create.json", ()),
        ("mj-progress.message_update.json", ("later_delete",)),
    ]
    keys = [corr.observe(_event(spec_fixture, name, *path)) for name, path in story]
    assert keys == ["imagine"] * len(story)
    job = corr.get("imagine")
    assert job is not None and job.done
    assert job.interaction_ids == {"1300000000000000101"}
    assert job.job_hash == "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"

    corr.track(
        "u2",
        nonce="1300000000000000003",
        now=T0 + 60,
        parent_message_id="1300000000000000301",
        index=2,
    )
    corr.track(
        "u3",
        nonce="1300000000000000013",
        now=T0 + 61,
        parent_message_id="1300000000000000301",
        index=3,
    )
    assert corr.observe(_event(spec_fixture, "mj-upscale-done.message_create.json")) == "u2"


def test_correlator_ignores_foreign_events(spec_fixture: Callable[..., Any]) -> None:
    corr = Correlator()
    corr.track("imagine", nonce="1300000000000000001", now=T0, prompt="something else entirely")
    assert corr.observe(_event(spec_fixture, "mj-error-banned.message_create.json")) is None
    assert (
        corr.observe(
            _event(spec_fixture, "interaction-events.dispatch.json", "interaction_failure")
        )
        is None
    )


def test_correlator_prompt_fallback_prefers_earliest(spec_fixture: Callable[..., Any]) -> None:
    frame = spec_fixture("mj-imagine-done.message_create.json")
    d = copy.deepcopy(frame["d"])
    d.pop("interaction_metadata")
    d["content"] = d["content"].replace(PROMPT, "a red fox in a snowy forest --ar 3:2 --v 6.1")
    corr = Correlator()
    corr.track("late", nonce="2", now=T0 + 5, prompt="a red fox  in a snowy forest —ar 3:2")
    corr.track("early", nonce="1", now=T0, prompt="A red fox in a snowy forest --ar 3:2")
    corr.track("other", nonce="3", now=T0 - 5, prompt="a dog")
    assert corr.observe(parse_dispatch("MESSAGE_CREATE", d)) == "early"
    # finished tasks are no longer candidates for fuzzy matches
    assert corr.observe(parse_dispatch("MESSAGE_CREATE", d)) == "late"


def test_correlator_error_reply_to_progress_message(spec_fixture: Callable[..., Any]) -> None:
    corr = Correlator()
    corr.track("t", nonce="1300000000000000001", now=T0, prompt=PROMPT)
    corr.observe(_event(spec_fixture, "mj-start.message_create.json"))
    d = copy.deepcopy(spec_fixture("mj-error-banned.message_create.json", "d"))
    for key in ("nonce", "interaction", "interaction_metadata"):
        d.pop(key)
    d["embeds"][0]["footer"] = {}
    d["message_reference"] = {"message_id": "1300000000000000201"}
    assert corr.observe(parse_dispatch("MESSAGE_CREATE", d)) == "t"


def test_correlator_modal_resubmit_new_nonce(spec_fixture: Callable[..., Any]) -> None:
    corr = Correlator()
    corr.track("zoom", nonce="1300000000000000004", now=T0)
    modal = _event(
        spec_fixture, "interaction-customzoom-modal.flow.json", "step2_modal_create_dispatch"
    )
    assert corr.observe(modal) == "zoom"
    corr.track("zoom", nonce="1300000000000000005", now=T0)
    job = corr.get("zoom")
    assert job is not None and job.nonces == {"1300000000000000004", "1300000000000000005"}
    corr.forget("zoom")
    assert corr.observe(modal) is None
