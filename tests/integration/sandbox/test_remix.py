"""Remix mode: variation-type clicks open the modals of spec v2 §2.2; the submit runs the job."""

from __future__ import annotations

import copy
import re

import pytest

from app.sandbox import Sandbox
from tests.integration.sandbox.helpers import (
    Driver,
    find_button,
    interaction_command,
    interaction_modal,
)
from tests.integration.sandbox.shapes import assert_shape, fixture

FLOW = fixture("interaction-remix-modal.flow.json")
GRID_HASH = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"  # the fixture's placeholders
SOLO_HASH = "7d4e1b2c-9a8f-4c3d-b2e1-0f9e8d7c6b5a"
GRID_MESSAGE = "1300000000000000301"


async def remix_on(driver: Driver) -> None:
    payload = interaction_command(
        driver.account, "prefer", [{"type": 1, "name": "remix", "options": []}]
    )
    await driver.post_interaction(payload)
    reply = await driver.nonce_message(payload["nonce"])
    assert reply["content"].startswith("Remix mode turned on")


async def open_modal(driver: Driver, message: dict, custom_id: str) -> dict:
    nonce = await driver.click(message, custom_id)
    frame = await driver.gateway.wait(
        lambda f: f.get("t") == "INTERACTION_MODAL_CREATE" and f["d"]["nonce"] == nonce
    )
    assert_shape(frame, FLOW["step2_modal_create_dispatch"])
    return frame["d"]


@pytest.mark.parametrize("case", sorted(FLOW["cases"]))
async def test_remix_opens_the_spec_modal_and_runs_the_submitted_prompt(
    driver: Driver, case: str
) -> None:
    spec = FLOW["cases"][case]
    grid = await driver.final(await driver.imagine("a red fox --ar 3:2"))
    grid_hash = find_button(grid, "MJ::JOB::upsample::1::").rsplit("::", 1)[1]
    target = grid
    if "SOLO" in spec["button"] and not spec["button"].startswith("MJ::JOB::reroll"):
        target = await driver.final(
            await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1"))
        )
    target_hash = (
        find_button(target, "MJ::JOB::").split("::")[4] if target is not grid else grid_hash
    )

    def real(text: str) -> str:
        return (text.replace(GRID_HASH, grid_hash).replace(SOLO_HASH, target_hash)
                .replace(GRID_MESSAGE, grid["id"]))  # fmt: skip

    await remix_on(driver)
    modal = await open_modal(driver, target, real(spec["button"]))
    assert modal["custom_id"] == real(spec["modal_custom_id"])
    text_input = modal["components"][0]["components"][0]
    assert text_input["custom_id"] == spec["field"]
    assert text_input["value"] == "a red fox --ar 3:2"  # pre-filled with the job's prompt

    submit = copy.deepcopy(FLOW["step3_modal_submit_request"])
    submit.update(guild_id=driver.account.guild_id, channel_id=driver.account.channel_id)
    submit["nonce"] = str(10**18 + len(driver.gateway.frames))
    submit["data"].update(id=modal["id"], custom_id=modal["custom_id"])
    submit["data"]["components"][0]["components"][0].update(
        custom_id=spec["field"], value="a blue owl --ar 3:2"
    )
    await driver.post_interaction(submit)
    final = await driver.final(submit["nonce"])
    assert final["content"].startswith("**a blue owl --ar 3:2** ")
    assert re.search(spec["label_regex"], final["content"]), final["content"]
    assert final["content"].endswith("(fast)")
    assert find_button(final, "MJ::JOB::variation::1::")  # a normal grid, clickable again


async def test_low_variation_mode_makes_v1_subtle_with_and_without_remix(driver: Driver) -> None:
    payload = interaction_command(driver.account, "settings", [])
    await driver.post_interaction(payload)
    panel = await driver.nonce_message(payload["nonce"])
    await driver.click(panel, "MJ::Settings::HighVariabilityMode::0")
    await driver.gateway.wait(
        lambda f: (
            f.get("t") == "MESSAGE_UPDATE"
            and f["d"]["id"] == panel["id"]
            and any(
                c.get("custom_id") == "MJ::Settings::HighVariabilityMode::0" and c["style"] == 3
                for row in f["d"]["components"]
                for c in row["components"]
            )
        )
    )
    grid = await driver.final(await driver.imagine("a quiet fox"))
    plain = await driver.final(await driver.click(grid, find_button(grid, "MJ::JOB::variation::3")))
    assert "- Variations (Subtle) by <@" in plain["content"]
    await remix_on(driver)
    modal = await open_modal(driver, grid, find_button(grid, "MJ::JOB::variation::2::"))
    assert modal["custom_id"].endswith("::2::0")
    final = await driver.final(await submit_modal(driver, modal, "a quiet wolf"))
    assert "- Remix (Subtle) by <@" in final["content"]


async def submit_modal(driver: Driver, modal: dict, value: str) -> str:
    payload = interaction_modal(driver.account, modal, value)
    await driver.post_interaction(payload)
    return payload["nonce"]


async def test_remix_off_runs_the_job_at_once_and_stale_modals_are_refused(
    sandbox: Sandbox, driver: Driver
) -> None:
    grid = await driver.final(await driver.imagine("a plain fox"))
    await remix_on(driver)
    modal = await open_modal(driver, grid, find_button(grid, "MJ::JOB::variation::1::"))
    await driver.final(await submit_modal(driver, modal, "a plain owl"))
    again = interaction_modal(driver.account, modal, "a second owl")  # a modal is used once
    response = await driver.post_interaction(again, expect=404)
    assert response.json() == {"message": "Unknown interaction", "code": 10062}
    sandbox.core.directory.states[driver.account.user_id].remix = False
    final = await driver.final(
        await driver.click(grid, find_button(grid, "MJ::JOB::variation::1::"))
    )
    assert "- Variations (Strong) by <@" in final["content"]  # High Variation Mode, the default


async def test_a_remix_with_a_banned_prompt_is_refused_like_imagine(driver: Driver) -> None:
    grid = await driver.final(await driver.imagine("a fox"))
    await remix_on(driver)
    modal = await open_modal(driver, grid, find_button(grid, "MJ::JOB::variation::1::"))
    reply = await driver.nonce_message(await submit_modal(driver, modal, "a nsfw fox"))
    assert reply["embeds"][0]["title"] == "Banned prompt detected"
