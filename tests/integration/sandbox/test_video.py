"""Midjourney video over real sockets (spec v2 §5): grid preview, clips, extend, animate, refusals.

Driven by the tests' own minimal client (tests/integration/sandbox/helpers.py: websockets + httpx),
against the shapes of tests/fixtures/discord/mj-video.flow.json.
"""

from __future__ import annotations

import io
import re

import av
from PIL import Image

from app.sandbox import Sandbox
from tests.integration.sandbox.helpers import (
    Driver,
    button_ids,
    find_button,
    interaction_command,
    interaction_modal,
)
from tests.integration.sandbox.shapes import assert_shape, fixture

VIDEO = fixture("mj-video.flow.json")
EDITED = frozenset({"edited_timestamp"})


async def start_image(driver: Driver) -> str:
    """A sandbox CDN link (the grid of an imagine) to animate: 3:2."""
    grid = await driver.final(await driver.imagine("a red fox --ar 3:2"))
    return grid["attachments"][0]["url"]


async def command(driver: Driver, name: str, options: list | None = None) -> str:
    payload = interaction_command(driver.account, name, options or [])
    await driver.post_interaction(payload)
    return payload["nonce"]


async def remix_on(driver: Driver) -> None:
    remix = [{"type": 1, "name": "remix", "options": []}]
    reply = await driver.nonce_message(await command(driver, "prefer", remix))
    assert reply["content"].startswith("Remix mode turned on")


async def download(driver: Driver, url: str) -> bytes:
    response = await driver.http.get(url)
    assert response.status_code == 200
    return response.content


def decode_mp4(data: bytes) -> tuple[str, int]:
    """(codec, frames) of a playable MP4."""
    assert data[4:8] == b"ftyp"
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name, sum(1 for _ in container.decode(stream))


async def open_modal(driver: Driver, message: dict, custom_id: str) -> dict:
    nonce = await driver.click(message, custom_id)
    frame = await driver.gateway.wait(
        lambda f: f.get("t") == "INTERACTION_MODAL_CREATE" and f["d"]["nonce"] == nonce
    )
    return frame["d"]


async def test_video_grid_clip_and_extend_through_the_animate_modal(driver: Driver) -> None:
    url = await start_image(driver)
    await remix_on(driver)
    nonce = await driver.imagine(f"{url} a fox runs --video 1 --motion low --bs 4")
    grid = await driver.final(nonce)

    start = await driver.nonce_message(nonce)
    assert re.match(VIDEO["content_regex"]["start"], start["content"]), start["content"]
    updates = [
        f["d"] for f in driver.gateway.dispatches("MESSAGE_UPDATE") if f["d"]["id"] == start["id"]
    ]
    contents = [u["content"] for u in updates]
    assert contents[0] == "Animating..." and contents[-1] == "Displaying..."
    assert all(re.match(VIDEO["content_regex"]["progress"], c) for c in contents[1:-1]), contents
    assert [u["attachments"][0]["content_type"] for u in updates[1:-1]] == ["image/jpeg"] * 3
    assert_shape(start, fixture("mj-start.message_create.json")["d"], EDITED)
    progress = fixture("mj-progress.message_update.json")
    for update in updates:  # the interim edits have the progress edit's shape too
        assert_shape(update, progress["d"], EDITED)
    await driver.gateway.wait(  # the start message goes, as for pictures
        lambda f: f.get("t") == "MESSAGE_DELETE" and f["d"]["id"] == start["id"]
    )

    assert_shape(grid, VIDEO["grid_message_create"]["d"], EDITED)
    match = re.match(VIDEO["content_regex"]["final"], grid["content"])
    assert match, grid["content"]
    job = match["hash"]
    assert " a fox runs --motion low --bs 4 --video 1 --aspect 3:2** " in grid["content"]
    assert grid["message_reference"]["message_id"] == start["id"]
    [preview] = grid["attachments"]
    assert preview["content_type"] == "image/webp" and preview["filename"].endswith(f"{job}.webp")
    webp = Image.open(io.BytesIO(await download(driver, preview["url"])))
    assert (
        webp.is_animated
        and webp.n_frames == 6
        and webp.size == (preview["width"], preview["height"])
    )
    assert button_ids(grid) == [
        *(f"MJ::JOB::video_virtual_upscale::{i}::{job}" for i in range(1, 5)),
        f"MJ::JOB::reroll::0::{job}::SOLO",
    ]
    assert grid["components"][1]["components"][0]["url"] == f"https://midjourney.com/jobs/{job}"

    clip = await driver.final(await driver.click(grid, f"MJ::JOB::video_virtual_upscale::2::{job}"))
    assert_shape(clip, VIDEO["clip_message_create"]["d"], EDITED)
    assert clip["message_reference"]["message_id"] == grid["id"] and clip["type"] == 19
    [mp4] = clip["attachments"]
    assert mp4["content_type"] == "video/mp4" and mp4["filename"] == f"{job}_1_720_N.mp4"
    codec, frames = decode_mp4(await download(driver, mp4["url"]))
    assert (codec, frames) == ("h264", 6)
    assert button_ids(clip) == [
        f"MJ::JOB::animate_high_extend::2::{job}",
        f"MJ::JOB::animate_low_extend::2::{job}",
    ]

    modal = await open_modal(driver, clip, f"MJ::JOB::animate_high_extend::2::{job}")
    assert modal["custom_id"] == f"MJ::AnimateModal::{job}::2::high::1"
    assert modal["components"][0]["components"][0]["custom_id"] == "MJ::AnimateModal::prompt"
    submit = interaction_modal(driver.account, modal, f"{url} the fox runs faster --video 1")
    await driver.post_interaction(submit)
    extended = await driver.final(submit["nonce"])
    assert re.match(VIDEO["content_regex"]["final"], extended["content"])
    assert "the fox runs faster --motion high --video 1" in extended["content"]
    longer_job = find_button(extended, "MJ::JOB::video_virtual_upscale::1::").rsplit("::", 1)[1]
    longer = await driver.final(
        await driver.click(extended, f"MJ::JOB::video_virtual_upscale::1::{longer_job}")
    )
    codec, longer_frames = decode_mp4(await download(driver, longer["attachments"][0]["url"]))
    assert codec == "h264" and longer_frames > frames


async def test_animate_from_an_upscale_and_its_remix_modal(driver: Driver) -> None:
    grid = await driver.final(await driver.imagine("a lighthouse --ar 3:2"))
    single = await driver.final(await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1")))
    solo = find_button(single, "MJ::JOB::animate_low::").split("::")[4]
    ids = set(button_ids(single))
    for expected in VIDEO["upscale_animate_buttons"]:
        assert expected["custom_id"].replace(expected["custom_id"].split("::")[4], solo) in ids
    video = await driver.final(await driver.click(single, f"MJ::JOB::animate_low::1::{solo}::SOLO"))
    assert re.match(VIDEO["content_regex"]["final"], video["content"]), video["content"]
    assert "a lighthouse --ar 3:2 --motion low --video 1** " in video["content"]
    clip = await driver.final(
        await driver.click(video, find_button(video, "MJ::JOB::video_virtual_upscale::3"))
    )
    assert decode_mp4(await download(driver, clip["attachments"][0]["url"]))[0] == "h264"

    await remix_on(driver)
    case = VIDEO["modal_cases"]["animate_high"]
    modal = await open_modal(
        driver, single, case["button"].replace(case["button"].split("::")[4], solo)
    )
    assert modal["custom_id"] == case["modal_custom_id"].replace(
        case["modal_custom_id"].split("::")[2], solo
    )
    assert modal["components"][0]["components"][0]["value"] == "a lighthouse --ar 3:2"
    submit = interaction_modal(driver.account, modal, "a lighthouse in a storm --ar 3:2")
    await driver.post_interaction(submit)
    remixed = await driver.final(submit["nonce"])
    assert "a lighthouse in a storm --ar 3:2 --motion high --video 1** " in remixed["content"]


async def test_loop_end_frames_and_batch_sizes(driver: Driver) -> None:
    url = await start_image(driver)
    looped = await driver.final(await driver.imagine(f"{url} waves --video --loop --bs 1"))
    assert " waves --bs 1 --end loop --video 1 --aspect 3:2** " in looped["content"]
    assert [b for b in button_ids(looped) if "virtual_upscale" in b][-1].split("::")[3] == "1"
    external = "https://example.com/end.png"
    ended = await driver.final(
        await driver.imagine(f"{url} waves --video 1 --end {external} --bs 2")
    )
    assert [b.split("::")[3] for b in button_ids(ended) if "virtual_upscale" in b] == ["1", "2"]
    own = await driver.final(
        await driver.imagine(f"{url} waves --video 1 --end {url} --motion high")
    )
    assert len([b for b in button_ids(own) if "virtual_upscale" in b]) == 4


async def test_video_refusals(sandbox: Sandbox, driver: Driver) -> None:
    url = await start_image(driver)

    async def refused(prompt: str) -> dict:
        reply = await driver.nonce_message(await driver.imagine(prompt))
        assert reply["flags"] == 64 and reply["embeds"], reply
        return reply["embeds"][0]

    for end in ("http://example.com/end.png", "https://127.0.0.1/end.png", "nowhere"):
        embed = await refused(f"{url} waves --video 1 --end {end}")
        assert embed["title"] == VIDEO["errors"]["end_not_public_https"]["title"]
    assert (await refused(f"{url} waves --video 1 --bs 3"))["title"] == "Invalid parameter"
    assert (await refused("waves --video 1"))["title"] == "Invalid parameter"
    turbo = VIDEO["errors"]["turbo"]
    embed = await refused(f"{url} waves --video 1 --turbo")
    assert (embed["title"], embed["description"]) == (turbo["title"], turbo["description"])
    await driver.nonce_message(await command(driver, "turbo"))
    grid = await driver.final(await driver.imagine("a lighthouse"))  # pictures still run in turbo
    single = await driver.final(await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1")))
    nonce = await driver.click(single, find_button(single, "MJ::JOB::animate_high::"))
    embed = (await driver.nonce_message(nonce))["embeds"][0]
    assert (embed["title"], embed["description"]) == (turbo["title"], turbo["description"])
    assert not sandbox.core.midjourney.running


async def test_the_same_video_prompt_gives_the_same_media_from_the_cache(
    sandbox: Sandbox, driver: Driver
) -> None:
    url = await start_image(driver)
    first = await driver.final(await driver.imagine(f"{url} rain --video 1"))
    videos = sandbox.core.midjourney.commands.runner.videos
    hits = videos.hits
    second = await driver.final(await driver.imagine(f"{url} rain --video 1"))
    assert videos.hits == hits + 1
    assert await download(driver, first["attachments"][0]["url"]) == await download(
        driver, second["attachments"][0]["url"]
    )
    assert (
        first["attachments"][0]["url"] != second["attachments"][0]["url"]
    )  # each job its own file


async def test_faults_reach_video_jobs_and_clips(sandbox: Sandbox, driver: Driver) -> None:
    url = await start_image(driver)
    nonce = await driver.imagine(f"{url} rain --video 1 --sandbox-fault stop")
    start = await driver.nonce_message(nonce)
    await driver.gateway.wait(
        lambda f: (
            f.get("t") == "MESSAGE_UPDATE"
            and f["d"]["id"] == start["id"]
            and f["d"]["content"].endswith("(Stopped)")
        )
    )
    grid = await driver.final(await driver.imagine(f"{url} rain --video 1"))
    await sandbox.inject_fault("duplicate", account=0)
    clip = await driver.final(
        await driver.click(grid, find_button(grid, "MJ::JOB::video_virtual_upscale::4"))
    )
    first = next(
        i for i, f in enumerate(driver.gateway.frames)
        if f.get("t") == "MESSAGE_CREATE" and f["d"]["id"] == clip["id"]
    )  # fmt: skip
    again = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"]["id"] == clip["id"], start=first + 1
    )
    assert again["d"] == clip and again["s"] != driver.gateway.frames[first]["s"]  # sent twice
