"""Interaction payload builders reproduce the spec's request fixtures byte for byte (as JSON)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.discord import commands
from app.discord.command_index import CommandIndex
from app.discord.commands import InteractionContext, UploadedAttachment
from app.discord.errors import CommandNotFound

CTX = InteractionContext(
    guild_id="1200000000000000001",
    channel_id="1200000000000000002",
    session_id="9f1c2b3a4d5e6f708192a3b4c5d6e7f8",
)
FOX = UploadedAttachment(
    id="0",
    filename="fox.png",
    uploaded_filename="0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e/fox.png",
)


@pytest.fixture
def index(spec_fixture: Callable[..., Any]) -> CommandIndex:
    return CommandIndex.from_response(spec_fixture("application-command-index.response.json"))


@pytest.mark.parametrize(
    ("name", "command_id", "version"),
    [
        pytest.param("imagine", "938956540159881230", "1237876415471554623", id="imagine"),
        pytest.param("blend", "1062880104792997970", "1237876415471554624", id="blend"),
        pytest.param("describe", "1092492867185950852", "1237876415471554625", id="describe"),
        pytest.param("shorten", "1121575372539039774", "1247736572414001223", id="shorten"),
        pytest.param("info", "972289487818334209", "1237876415735660565", id="info"),
    ],
)
def test_command_index_lookup(
    index: CommandIndex, name: str, command_id: str, version: str
) -> None:
    command = index.get(name)
    assert (command.id, command.version, command.application_id) == (
        command_id,
        version,
        "936929561302675456",
    )


def test_command_index_filters_by_application(index: CommandIndex) -> None:
    with pytest.raises(CommandNotFound):
        index.get("imagine", application_id="1")
    with pytest.raises(CommandNotFound):
        index.get("animate")
    assert index.find("imagine", application_id=None) is not None
    assert index.version == "1300000000000000999"


def test_command_index_skips_malformed_entries() -> None:
    body = {"application_commands": [None, {"id": "1"}, {"id": "2", "version": "3", "name": "x"}]}
    assert [c.name for c in CommandIndex.from_response(body).commands] == ["x"]


def test_imagine_matches_fixture(spec_fixture: Callable[..., Any], index: CommandIndex) -> None:
    expected = spec_fixture("interaction-imagine.request.json")
    prompt = expected["data"]["options"][0]["value"]
    assert commands.imagine(CTX, index.get("imagine"), prompt, "1300000000000000001") == expected


def test_upscale_press_matches_fixture(spec_fixture: Callable[..., Any]) -> None:
    expected = spec_fixture("interaction-upscale.request.json")
    payload = commands.press_button(
        CTX,
        message_id="1300000000000000301",
        custom_id="MJ::JOB::upsample::2::3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f",
        nonce="1300000000000000003",
    )
    assert payload == expected


def test_custom_zoom_flow_matches_fixture(spec_fixture: Callable[..., Any]) -> None:
    flow = spec_fixture("interaction-customzoom-modal.flow.json")
    click = commands.press_button(
        CTX,
        message_id="1300000000000000401",
        custom_id="MJ::CustomZoom::7d4e1b2c-9a8f-4c3d-b2e1-0f9e8d7c6b5a",
        nonce="1300000000000000004",
    )
    assert click == flow["step1_button_click_request"]
    submit = commands.submit_modal(
        CTX,
        modal_id="1300000000000000104",
        custom_id="MJ::OutpaintCustomZoomModal::7d4e1b2c-9a8f-4c3d-b2e1-0f9e8d7c6b5a",
        fields={
            "MJ::OutpaintCustomZoomModal::prompt": "a red fox in a snowy forest --ar 3:2 "
            "--v 6.1 --zoom 1.8"
        },
        nonce="1300000000000000005",
    )
    assert submit == flow["step3_modal_submit_request"]


def test_describe_upload_matches_fixture(
    spec_fixture: Callable[..., Any], index: CommandIndex
) -> None:
    upload = spec_fixture("attachments-upload.json")
    expected = dict(upload["step3_full_describe_request"], analytics_location="slash_ui")
    payload = commands.describe(CTX, index.get("describe"), "1300000000000000002", image=FOX)
    assert payload == expected
    assert payload["data"]["options"] == upload["step3_reference_in_interaction"]["data.options"]


def test_attachments_request_matches_fixture(spec_fixture: Callable[..., Any]) -> None:
    expected = spec_fixture("attachments-upload.json", "step1_request", "json")
    assert commands.attachments_request([("fox.png", 183204)]) == expected


def test_describe_by_link(index: CommandIndex) -> None:
    payload = commands.describe(CTX, index.get("describe"), "1", link="https://x.test/a.png")
    assert payload["data"]["options"] == [
        {"type": 3, "name": "link", "value": "https://x.test/a.png"}
    ]
    assert payload["data"]["attachments"] == []
    with pytest.raises(ValueError):
        commands.describe(CTX, index.get("describe"), "1")


def test_blend_numbers_attachments_and_dimensions(index: CommandIndex) -> None:
    images = [
        UploadedAttachment(id="7", filename=f"{i}.png", uploaded_filename=f"u/{i}.png")
        for i in range(3)
    ]
    payload = commands.blend(CTX, index.get("blend"), images, "9", dimensions="landscape")
    data = payload["data"]
    assert [o["name"] for o in data["options"]] == ["image1", "image2", "image3", "dimensions"]
    assert [o["value"] for o in data["options"]] == [0, 1, 2, "--ar 3:2"]
    assert [a["id"] for a in data["attachments"]] == ["0", "1", "2"]
    assert data["attachments"][2]["uploaded_filename"] == "u/2.png"
    with pytest.raises(ValueError):
        commands.blend(CTX, index.get("blend"), images[:1], "9")


def test_shorten_and_dm_context(index: CommandIndex) -> None:
    dm = InteractionContext(channel_id="5", session_id="s")
    payload = commands.shorten(dm, index.get("shorten"), "a long prompt", "1")
    assert "guild_id" not in payload
    assert payload["channel_id"] == "5"
    assert payload["data"]["name"] == "shorten"


def test_pika_commands() -> None:
    pika = CommandIndex.from_response(
        {
            "application_commands": [
                {"id": "11", "version": "12", "name": "create", "application_id": "99"},
                {"id": "21", "version": "22", "name": "animate", "application_id": "99"},
            ]
        }
    )
    create = commands.pika_create(CTX, pika.get("create", "99"), "a horse -motion 2", "1")
    assert create["application_id"] == "99"
    assert create["data"]["options"] == [
        {"type": 3, "name": "prompt", "value": "a horse -motion 2"}
    ]
    animate = commands.pika_animate(CTX, pika.get("animate", "99"), FOX, "2", prompt="run")
    assert [o["name"] for o in animate["data"]["options"]] == ["image", "prompt"]
    assert animate["data"]["attachments"][0]["uploaded_filename"] == FOX.uploaded_filename


def test_inpaint_submit_body(spec_fixture: Callable[..., Any]) -> None:
    frame = spec_fixture("interaction-iframe-modal-create.dispatch.json")
    expected = frame["inpaint_submit_request"]
    body = commands.inpaint_submit(
        "Q2hhbGxlbmdlVG9rZW5FeGFtcGxlMDAx",
        "data:image/png;base64," + expected["mask"],
        expected["prompt"],
    )
    assert body == expected


def test_select_menu_payload() -> None:
    payload = commands.select_menu(
        CTX, message_id="3", custom_id="MJ::Settings::VersionSelector", values=["6.1"], nonce="4"
    )
    assert payload["type"] == 3
    assert payload["data"] == {
        "component_type": 3,
        "custom_id": "MJ::Settings::VersionSelector",
        "type": 3,
        "values": ["6.1"],
    }
