"""niji・journey: a second Midjourney-protocol bot (spec v2 §6), its own ids and settings."""

from __future__ import annotations

import copy
import io
import re

from PIL import Image, ImageChops

from app.sandbox import Sandbox
from tests.integration.sandbox.helpers import (
    MJ_APP,
    Driver,
    find_button,
    interaction_command,
    interaction_modal,
)
from tests.integration.sandbox.shapes import assert_shape, fixture

NIJI = fixture("niji-commands.json")
NIJI_APP = NIJI["application_id"]


async def niji_command(driver: Driver, name: str, options: list | None = None) -> dict:
    """A niji command payload, its id and version looked up in the index (as clients do)."""
    index = await driver.http.get(f"/guilds/{driver.account.guild_id}/application-command-index")
    command = next(
        c
        for c in index.json()["application_commands"]
        if c["application_id"] == NIJI_APP and c["name"] == name
    )
    ids = (command["id"], command["version"])
    return interaction_command(driver.account, name, options or [], app=NIJI_APP, command=ids)


async def niji_imagine(driver: Driver, prompt: str) -> dict:
    payload = copy.deepcopy(NIJI["imagine_request"])
    payload.update(guild_id=driver.account.guild_id, channel_id=driver.account.channel_id)
    payload["nonce"] = str(10**18 + len(driver.gateway.frames))
    payload["data"]["options"][0]["value"] = prompt
    await driver.post_interaction(payload)
    return await driver.final(payload["nonce"])


async def picture(driver: Driver, message: dict) -> Image.Image:
    response = await driver.http.get(message["attachments"][0]["url"])
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content)).convert("RGB")


async def test_the_index_lists_niji_with_the_spec_ids(driver: Driver) -> None:
    index = await driver.http.get(f"/guilds/{driver.account.guild_id}/application-command-index")
    body = index.json()
    niji = {c["name"]: c for c in body["application_commands"] if c["application_id"] == NIJI_APP}
    for name, spec in NIJI["commands"].items():
        assert (niji[name]["id"], niji[name]["version"]) == (spec["id"], spec["version"]), name
    assert {"turbo", "prefer"} <= set(niji)  # ours, as Midjourney's turbo
    mj = {c["id"] for c in body["application_commands"] if c["application_id"] == MJ_APP}
    assert not mj & {c["id"] for c in niji.values()}
    apps = {a["id"]: a for a in body["applications"]}
    assert apps[NIJI_APP]["bot"]["id"] == NIJI_APP


async def test_niji_imagine_and_u1_come_from_the_niji_bot(driver: Driver) -> None:
    grid = await niji_imagine(driver, "portrait of a girl --niji 6")
    assert grid["author"] == NIJI["author"] and grid["application_id"] == NIJI_APP
    assert_shape(grid["author"], NIJI["author"])
    assert re.match(NIJI["content_regex"]["final"], grid["content"]), grid["content"]
    assert "journey Bot" in grid["author"]["username"]
    single = await driver.final(await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1")))
    assert single["author"]["id"] == NIJI_APP
    assert re.match(NIJI["content_regex"]["upscale"], single["content"]), single["content"]
    assert single["message_reference"]["message_id"] == grid["id"]
    # A Midjourney click on niji's message is refused, as Discord checks the application.
    click = {
        "type": 3, "application_id": MJ_APP, "guild_id": driver.account.guild_id,
        "channel_id": driver.account.channel_id, "message_id": grid["id"], "message_flags": 0,
        "session_id": "x", "nonce": "1", "data": {"component_type": 2,
        "custom_id": find_button(grid, "MJ::JOB::upsample::2")},
    }  # fmt: skip
    await driver.post_interaction(click, expect=400)


async def test_niji_pictures_differ_from_midjourneys_for_the_same_prompt(driver: Driver) -> None:
    niji = await picture(driver, await niji_imagine(driver, "a cat in the rain"))
    mj = await picture(driver, await driver.final(await driver.imagine("a cat in the rain")))
    assert niji.size == mj.size
    difference = ImageChops.difference(niji, mj).convert("L")
    assert sum(difference.histogram()[32:]) > niji.width * niji.height // 4  # visibly different
    again = await picture(driver, await niji_imagine(driver, "a cat in the rain"))
    assert ImageChops.difference(niji, again).getbbox() is None  # deterministic


async def test_niji_keeps_its_own_remix_and_job_mode(sandbox: Sandbox, driver: Driver) -> None:
    remix = await niji_command(driver, "prefer", [{"type": 1, "name": "remix", "options": []}])
    await driver.post_interaction(remix)
    reply = await driver.nonce_message(remix["nonce"])
    assert reply["author"]["id"] == NIJI_APP and reply["content"].startswith("Remix mode turned on")
    relax = await niji_command(driver, "relax")
    await driver.post_interaction(relax)
    assert (await driver.nonce_message(relax["nonce"]))["content"].startswith("Done!")
    state = sandbox.core.directory.states[driver.account.user_id]
    assert state.prefs(NIJI_APP).remix and not state.remix and state.mode == "fast"

    grid = await niji_imagine(driver, "a fox")
    assert grid["content"].endswith("(relaxed)")  # niji's mode
    nonce = await driver.click(grid, find_button(grid, "MJ::JOB::variation::1"))
    frame = await driver.gateway.wait(
        lambda f: f.get("t") == "INTERACTION_MODAL_CREATE" and f["d"]["nonce"] == nonce
    )
    modal = frame["d"]
    assert modal["application"]["id"] == NIJI_APP and modal["application"]["bot"]["id"] == NIJI_APP
    submit = interaction_modal(driver.account, modal, "a fox in snow") | {
        "application_id": NIJI_APP
    }
    await driver.post_interaction(submit)
    remixed = await driver.final(submit["nonce"])
    assert remixed["author"]["id"] == NIJI_APP and "Remix (Strong) by" in remixed["content"]

    mj_grid = await driver.final(await driver.imagine("a fox"))  # Midjourney: fast, no remix
    assert mj_grid["content"].endswith("(fast)")
    v1 = await driver.final(
        await driver.click(mj_grid, find_button(mj_grid, "MJ::JOB::variation::1"))
    )
    assert "Variations (Strong) by" in v1["content"] and v1["author"]["id"] == MJ_APP
