"""Every dispatch in the spec fixtures parses into the expected typed event; junk never raises."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import pytest

from app.discord.events import (
    AccountError,
    AccountErrorKind,
    AccountStateRead,
    BotEvent,
    Described,
    IframeModalOpened,
    InteractionCreated,
    InteractionFailed,
    InteractionSucceeded,
    JobFinished,
    JobProgress,
    JobQueued,
    JobStarted,
    MessageDeleted,
    ModalField,
    ModalOpened,
    Shortened,
    TaskError,
    TaskErrorKind,
    Unknown,
)
from app.discord.parse import parse_dispatch

GRID_HASH = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"
U2_HASH = "7d4e1b2c-9a8f-4c3d-b2e1-0f9e8d7c6b5a"
PROMPT = "a red fox in a snowy forest --ar 3:2 --v 6.1"

# (fixture file, key path to the {t, d} frame, expected type, expected attributes)
DISPATCH_CASES = [
    pytest.param(
        "mj-start.message_create.json",
        (),
        JobStarted,
        {
            "meta.nonce": "1300000000000000001",
            "meta.message_id": "1300000000000000201",
            "meta.interaction_id": "1300000000000000101",
            "meta.interaction_name": "imagine",
            "prompt": PROMPT,
        },
        id="start",
    ),
    pytest.param(
        "mj-progress.message_update.json",
        (),
        JobProgress,
        {
            "percent": 31,
            "job_hash": GRID_HASH,
            "mode": "fast",
            "prompt": PROMPT,
            "meta.message_id": "1300000000000000201",
            "meta.nonce": None,
        },
        id="progress",
    ),
    pytest.param(
        "mj-progress.message_update.json",
        ("later_delete",),
        MessageDeleted,
        {"message_id": "1300000000000000201", "channel_id": "1200000000000000002"},
        id="progress-delete",
    ),
    pytest.param(
        "mj-imagine-done.message_create.json",
        (),
        JobFinished,
        {
            "job_hash": GRID_HASH,
            "mode": "fast",
            "index": None,
            "prompt": PROMPT,
            "meta.message_id": "1300000000000000301",
            "meta.interaction_id": "1300000000000000101",
            "meta.nonce": None,
            "video_url": None,
            "width": 2912,
            "height": 1632,
            "filename": f"testuser_a_red_fox_in_a_snowy_forest_{GRID_HASH}.png",
        },
        id="imagine-done",
    ),
    pytest.param(
        "mj-upscale-done.message_create.json",
        (),
        JobFinished,
        {
            "job_hash": U2_HASH,
            "index": 2,
            "mode": None,
            "meta.reference_message_id": "1300000000000000301",
            "meta.interaction_id": "1300000000000000103",
        },
        id="upscale-done",
    ),
    pytest.param(
        "mj-describe-done.message_update.json",
        (),
        Described,
        {"meta.interaction_id": "1300000000000000106", "meta.message_id": "1300000000000000501"},
        id="describe-done",
    ),
    pytest.param(
        "mj-error-banned.message_create.json",
        (),
        TaskError,
        {
            "kind": TaskErrorKind.BANNED_PROMPT,
            "retryable": False,
            "title": "Banned prompt detected",
            "meta.nonce": "1300000000000000007",
            "meta.flags": 64,
        },
        id="error-banned",
    ),
    pytest.param(
        "mj-job-queued.message_create.json",
        (),
        JobQueued,
        {"meta.nonce": "1300000000000000008", "prompt": "a second fox --v 6.1"},
        id="job-queued",
    ),
    pytest.param(
        "interaction-events.dispatch.json",
        ("interaction_create",),
        InteractionCreated,
        {"interaction_id": "1300000000000000101", "nonce": "1300000000000000001"},
        id="interaction-create",
    ),
    pytest.param(
        "interaction-events.dispatch.json",
        ("interaction_success",),
        InteractionSucceeded,
        {"interaction_id": "1300000000000000101", "nonce": "1300000000000000001"},
        id="interaction-success",
    ),
    pytest.param(
        "interaction-events.dispatch.json",
        ("interaction_failure",),
        InteractionFailed,
        {"interaction_id": "1300000000000000102", "nonce": "1300000000000000009", "reason_code": 2},
        id="interaction-failure",
    ),
    pytest.param(
        "interaction-customzoom-modal.flow.json",
        ("step2_modal_create_dispatch",),
        ModalOpened,
        {
            "interaction_id": "1300000000000000104",
            "nonce": "1300000000000000004",
            "custom_id": f"MJ::OutpaintCustomZoomModal::{U2_HASH}",
            "title": "Zoom Out",
            "application_id": "936929561302675456",
            "fields": (
                ModalField(
                    custom_id="MJ::OutpaintCustomZoomModal::prompt",
                    value=f"{PROMPT} --zoom 2",
                    label="Zoom Text",
                ),
            ),
        },
        id="modal-create",
    ),
    pytest.param(
        "interaction-iframe-modal-create.dispatch.json",
        (),
        IframeModalOpened,
        {
            "interaction_id": "1300000000000000105",
            "nonce": "1300000000000000006",
            "token": "Q2hhbGxlbmdlVG9rZW5FeGFtcGxlMDAx",
            "title": "Inpaint",
            "iframe_path": "/inpaint/index.html",
        },
        id="iframe-modal-create",
    ),
    pytest.param(
        "gateway-resume-reconnect-invalid.json",
        ("replayed_dispatch_example",),
        JobProgress,
        {"percent": 62, "meta.author_id": None, "prompt": PROMPT},
        id="replayed-partial-update",
    ),
]


def _attr(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize(("name", "path", "expected_type", "attrs"), DISPATCH_CASES)
def test_parse_dispatch_fixture(
    spec_fixture: Callable[..., Any],
    name: str,
    path: tuple[str, ...],
    expected_type: type[BotEvent],
    attrs: dict[str, Any],
) -> None:
    frame = spec_fixture(name, *path)
    event = parse_dispatch(frame["t"], frame["d"])
    assert type(event) is expected_type, event
    assert {k: _attr(event, k) for k in attrs} == attrs


def test_parse_imagine_done_buttons(spec_fixture: Callable[..., Any]) -> None:
    frame = spec_fixture("mj-imagine-done.message_create.json")
    event = parse_dispatch(frame["t"], frame["d"])
    assert isinstance(event, JobFinished)
    labels = [b.label or b.emoji for b in event.buttons]
    assert labels == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert event.buttons[1].custom_id == f"MJ::JOB::upsample::2::{GRID_HASH}"
    assert event.image_url is not None and event.image_url.startswith("https://cdn.discordapp")
    assert len(event.components) == 2  # raw rows kept for the task's `buttons` field


def test_parse_upscale_done_link_button_has_no_custom_id(spec_fixture: Callable[..., Any]) -> None:
    frame = spec_fixture("mj-upscale-done.message_create.json")
    event = parse_dispatch(frame["t"], frame["d"])
    assert isinstance(event, JobFinished)
    link = [b for b in event.buttons if b.style == 5]
    assert len(link) == 1 and link[0].custom_id is None and link[0].url
    assert len(event.buttons) == 14


def test_parse_describe_prompts(spec_fixture: Callable[..., Any]) -> None:
    frame = spec_fixture("mj-describe-done.message_update.json")
    event = parse_dispatch(frame["t"], frame["d"])
    assert isinstance(event, Described)
    assert len(event.prompts) == 4
    assert event.prompts[0].startswith("A red fox standing in deep snow")
    assert all("\u20e3" not in p for p in event.prompts)
    assert event.image_url is not None and "fox.png" in event.image_url


def test_parse_describe_as_fresh_create(spec_fixture: Callable[..., Any]) -> None:
    """Newer MJ delivers the describe result as MESSAGE_CREATE (spec §3.6, §7.2)."""
    frame = spec_fixture("mj-describe-done.message_update.json")
    assert isinstance(parse_dispatch("MESSAGE_CREATE", frame["d"]), Described)


# ---------------------------------------------------------------------------- error variants


def _embed_message(
    spec_fixture: Callable[..., Any],
    title: str | None,
    color: int | None = 16711680,
    description: str = "synthetic",
) -> dict[str, Any]:
    d = copy.deepcopy(spec_fixture("mj-error-banned.message_create.json", "d"))
    embed: dict[str, Any] = {"type": "rich", "description": description}
    if title is not None:
        embed["title"] = title
    if color is not None:
        embed["color"] = color
    d["embeds"] = [embed]
    return d


EMBED_CASES = [
    pytest.param(
        "Queue full", 16711680, "", TaskError, TaskErrorKind.QUEUE_FULL, True, id="queue-full"
    ),
    pytest.param(
        "Invalid parameter",
        16711680,
        "",
        TaskError,
        TaskErrorKind.INVALID_PARAMETER,
        False,
        id="invalid-parameter",
    ),
    pytest.param(
        "Banned image prompt",
        16711680,
        "",
        TaskError,
        TaskErrorKind.BANNED_PROMPT,
        False,
        id="banned-image",
    ),
    pytest.param(
        "Action needed to continue",
        16711680,
        "",
        TaskError,
        TaskErrorKind.MODERATION_APPEAL,
        False,
        id="appeal",
    ),
    pytest.param(
        "Request cancelled due to output filters",
        None,
        "",
        TaskError,
        TaskErrorKind.OUTPUT_FILTERED,
        False,
        id="output-filters-no-colour",
    ),
    pytest.param(
        "Some new red title",
        16711680,
        "",
        TaskError,
        TaskErrorKind.UNKNOWN,
        False,
        id="unknown-red",
    ),
    pytest.param(
        "Pending mod message",
        16711680,
        "",
        AccountError,
        AccountErrorKind.PENDING_MODERATION,
        None,
        id="pending-mod",
    ),
    pytest.param(
        "Blocked", 16711680, "", AccountError, AccountErrorKind.BANNED, None, id="blocked"
    ),
    pytest.param(
        "Credits exhausted",
        16239475,
        "",
        AccountError,
        AccountErrorKind.OUT_OF_CREDITS,
        None,
        id="credits-exhausted",
    ),
    pytest.param(
        "Subscription required",
        16711680,
        "",
        AccountError,
        AccountErrorKind.NO_SUBSCRIPTION,
        None,
        id="subscription",
    ),
    pytest.param(
        "Plan Cancelled",
        16711680,
        "",
        AccountError,
        AccountErrorKind.NO_SUBSCRIPTION,
        None,
        id="plan-cancelled",
    ),
    pytest.param(
        "Action required to continue",
        None,
        "",
        AccountError,
        AccountErrorKind.CAPTCHA,
        None,
        id="captcha-embed",
    ),
    pytest.param(
        None,
        None,
        "You have triggered an abuse alert. Your account is now under manual review.",
        AccountError,
        AccountErrorKind.UNDER_REVIEW,
        None,
        id="abuse-alert",
    ),
    pytest.param("Job queued", 16711680, "", JobQueued, None, None, id="job-queued-red"),
    pytest.param(
        "Your info", 3092790, "**Fast Time Remaining**: 1h", AccountStateRead, None, None, id="info"
    ),
]


@pytest.mark.parametrize(
    ("title", "color", "description", "etype", "kind", "retryable"), EMBED_CASES
)
def test_parse_error_embed(
    spec_fixture: Callable[..., Any],
    title: str | None,
    color: int | None,
    description: str,
    etype: type[BotEvent],
    kind: Any,
    retryable: bool | None,
) -> None:
    d = _embed_message(spec_fixture, title, color, description or "synthetic")
    event = parse_dispatch("MESSAGE_CREATE", d)
    assert type(event) is etype, event
    if kind is not None:
        assert event.kind is kind  # type: ignore[attr-defined]
        assert event.meta.nonce == "1300000000000000007"  # type: ignore[attr-defined]
    if retryable is not None:
        assert event.retryable is retryable  # type: ignore[attr-defined]


def test_parse_error_as_update_of_progress_message(spec_fixture: Callable[..., Any]) -> None:
    d = _embed_message(spec_fixture, "Invalid parameter")
    d.pop("nonce")
    d["id"] = "1300000000000000201"
    event = parse_dispatch("MESSAGE_UPDATE", d)
    assert isinstance(event, TaskError) and event.meta.message_id == "1300000000000000201"


def _start_like(spec_fixture: Callable[..., Any], content: str) -> dict[str, Any]:
    d = copy.deepcopy(spec_fixture("mj-start.message_create.json", "d"))
    d["content"] = content
    return d


def test_parse_failed_content(spec_fixture: Callable[..., Any]) -> None:
    d = _start_like(spec_fixture, "Failed to process your command :(")
    event = parse_dispatch("MESSAGE_CREATE", d)
    assert isinstance(event, TaskError) and event.kind is TaskErrorKind.COMMAND_FAILED
    assert event.meta.nonce == "1300000000000000001"


def test_parse_stopped_update(spec_fixture: Callable[..., Any]) -> None:
    d = _start_like(spec_fixture, f"**{PROMPT}** - <@1100000000000000001> (Stopped)")
    event = parse_dispatch("MESSAGE_UPDATE", d)
    assert isinstance(event, TaskError) and event.kind is TaskErrorKind.STOPPED


def test_parse_captcha_iframe(spec_fixture: Callable[..., Any]) -> None:
    frame = spec_fixture("interaction-iframe-modal-create.dispatch.json")
    d = dict(frame["d"], title="Action required to continue")
    event = parse_dispatch(frame["t"], d)
    assert isinstance(event, AccountError) and event.kind is AccountErrorKind.CAPTCHA
    assert event.meta.nonce == "1300000000000000006"
    assert event.meta.interaction_id == "1300000000000000105"


def test_parse_shorten(spec_fixture: Callable[..., Any]) -> None:
    d = _embed_message(
        spec_fixture,
        "Shortened prompts",
        3092790,
        "**IMPORTANT TOKENS**\nfox 1.0\n\n**SHORTENED OPTIONS**\n"
        "1️⃣ red fox, snow\n\n2️⃣ red fox, snowy forest\n\n3️⃣ fox forest",
    )
    d["embeds"][0]["footer"] = {"text": "Click on a button to imagine one of the shortened prompts"}
    event = parse_dispatch("MESSAGE_CREATE", d)
    assert isinstance(event, Shortened)
    assert event.prompts == ("red fox, snow", "red fox, snowy forest", "fox forest")


def test_parse_pika_video_result() -> None:
    filename = "people_running_around_a_horse_seed3557373337891796966.mp4"
    d = {
        "id": "1400000000000000001",
        "channel_id": "1",
        "author": {"id": "99", "bot": True},
        "content": "Prompt: people running around a horse Author: <@1100000000000000001>",
        "attachments": [
            {
                "id": "1400000000000000002",
                "filename": filename,
                "url": f"https://cdn.discordapp.com/attachments/1/2/{filename}",
                "content_type": "video/mp4",
            }
        ],
        "components": [],
    }
    event = parse_dispatch("MESSAGE_CREATE", d, bot_ids={"99"})
    assert isinstance(event, JobFinished)
    assert event.video_url is not None and event.image_url is None
    assert event.job_hash == "3557373337891796966"
    assert event.prompt == "people running around a horse"


def test_parse_ignores_other_authors(spec_fixture: Callable[..., Any]) -> None:
    d = copy.deepcopy(spec_fixture("mj-imagine-done.message_create.json", "d"))
    d["author"] = {"id": "1100000000000000001", "username": "testuser"}
    event = parse_dispatch("MESSAGE_CREATE", d)
    assert isinstance(event, Unknown) and event.reason == "not from a followed bot"
    bot = parse_dispatch(
        "MESSAGE_CREATE", spec_fixture("mj-imagine-done.message_create.json", "d"), bot_ids={"123"}
    )
    assert isinstance(bot, Unknown)


def test_parse_update_of_finished_message_is_not_a_second_result(
    spec_fixture: Callable[..., Any],
) -> None:
    """Button styles change on the grid after a click; that is not a new result."""
    d = spec_fixture("mj-imagine-done.message_create.json", "d")
    assert isinstance(parse_dispatch("MESSAGE_UPDATE", d), Unknown)


# ---------------------------------------------------------------------------- malformed

MALFORMED = [
    pytest.param("MESSAGE_CREATE", None, id="null"),
    pytest.param("MESSAGE_CREATE", [], id="list"),
    pytest.param("MESSAGE_CREATE", {}, id="empty"),
    pytest.param("MESSAGE_CREATE", {"id": {"x": 1}, "author": {"bot": True}}, id="id-object"),
    pytest.param("MESSAGE_CREATE", {"id": "1", "author": "bot"}, id="author-string"),
    pytest.param(
        "MESSAGE_CREATE",
        {
            "id": "1",
            "author": {"bot": True},
            "content": 5,
            "embeds": "x",
            "attachments": {"a": 1},
            "components": [1, "x", {"type": 1, "components": 3}],
        },
        id="wrong-types",
    ),
    pytest.param(
        "MESSAGE_CREATE",
        {"id": "1", "author": {"bot": True}, "attachments": [None], "content": "**x** - (50%)"},
        id="null-attachment",
    ),
    pytest.param(
        "MESSAGE_UPDATE",
        {"id": "1", "embeds": [{"title": 7, "color": "red"}]},
        id="embed-wrong-types",
    ),
    pytest.param("MESSAGE_DELETE", {"channel_id": "1"}, id="delete-no-id"),
    pytest.param("INTERACTION_CREATE", {"nonce": "1"}, id="interaction-no-id"),
    pytest.param("INTERACTION_FAILURE", {"id": "1", "reason_code": "x"}, id="failure-bad-reason"),
    pytest.param("INTERACTION_MODAL_CREATE", {"id": "1"}, id="modal-no-custom-id"),
    pytest.param(
        "INTERACTION_MODAL_CREATE",
        {"id": "1", "custom_id": "m", "components": [{"components": [{"type": 4}]}]},
        id="modal-field-no-id",
    ),
    pytest.param("INTERACTION_IFRAME_MODAL_CREATE", {"custom_id": "x"}, id="iframe-no-id"),
    pytest.param("TYPING_START", {"user_id": "1"}, id="other-event"),
    pytest.param("", "garbage", id="no-type"),
]


@pytest.mark.parametrize(("event_type", "data"), MALFORMED)
def test_parse_malformed_never_raises(event_type: str, data: Any) -> None:
    event = parse_dispatch(event_type, data)
    assert isinstance(event, BotEvent)
    if event_type in ("TYPING_START", "") or not isinstance(data, dict) or data == {}:
        assert isinstance(event, Unknown)


_JUNK: list[Any] = [None, 0, -1, True, "", "x", [], {}, [None], {"a": None}, 1.5, "**"]


def _mutate(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        return {
            k: (rng.choice(_JUNK) if rng.random() < 0.15 else _mutate(v, rng))
            for k, v in value.items()
            if rng.random() > 0.05
        }
    if isinstance(value, list):
        return [_mutate(v, rng) for v in value]
    return value


DISPATCH_FIXTURES = [(p.values[0], p.values[1]) for p in DISPATCH_CASES]


@pytest.mark.parametrize("seed", range(5))
def test_parse_fuzzed_fixtures_never_raise(spec_fixture: Callable[..., Any], seed: int) -> None:
    rng = random.Random(seed)
    for name, path in DISPATCH_FIXTURES:
        frame = spec_fixture(name, *path)
        for _ in range(40):
            event = parse_dispatch(frame["t"], _mutate(frame["d"], rng))
            assert isinstance(event, BotEvent)


# Where each spec fixture is exercised; a new fixture file fails this test until it is covered.
FIXTURE_COVERAGE = {
    "README.md": "-",
    "application-command-index.response.json": "test_commands",
    "attachments-upload.json": "test_commands",
    "close-codes.json": "test_gateway_protocol",
    "gateway-hello.json": "test_gateway_protocol",
    "gateway-resume-reconnect-invalid.json": "test_gateway_protocol + here",
    "identify.json": "test_gateway_protocol",
    "interaction-customzoom-modal.flow.json": "test_commands + here",
    "interaction-events.dispatch.json": "here",
    "interaction-iframe-modal-create.dispatch.json": "here + test_commands",
    "interaction-imagine.request.json": "test_commands",
    "interaction-upscale.request.json": "test_commands",
    "mj-describe-done.message_update.json": "here",
    "mj-error-banned.message_create.json": "here",
    "mj-imagine-done.message_create.json": "here",
    "mj-job-queued.message_create.json": "here",
    "mj-progress.message_update.json": "here",
    "mj-start.message_create.json": "here",
    "mj-upscale-done.message_create.json": "here",
    "rate-limit-429.response.json": "test_errors",
    "ready.json": "test_gateway_protocol",
    # Sent or answered by the sandbox only (the client has no such feature yet).
    "interaction-controls.request.json": "tests/integration/sandbox/test_account_controls.py",
    "interaction-remix-modal.flow.json": "tests/integration/sandbox/test_remix.py",
    "mj-info.message_update.json": "tests/integration/sandbox/test_account_controls.py",
    "mj-settings.message_update.json": "tests/integration/sandbox/test_account_controls.py",
    "mj-video.flow.json": "tests/integration/sandbox/test_video.py + tests/unit/sandbox",
    "niji-commands.json": "tests/integration/sandbox/test_niji.py",
    "rest-guild-channel.response.json": "tests/integration/sandbox/test_rest_surface.py",
}


def test_every_spec_fixture_is_covered(fixture_names: set[str]) -> None:
    assert fixture_names | {"README.md"} == set(FIXTURE_COVERAGE)
