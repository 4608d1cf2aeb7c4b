"""The lifecycle of every Midjourney action over real sockets (speed=instant)."""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image, ImageChops, ImageStat

from app.sandbox import Sandbox, images
from app.sandbox.speed import get_speed
from tests.integration.sandbox.helpers import (
    Driver,
    button_ids,
    find_button,
    http_client,
    interaction_command,
    interaction_modal,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
# `instant` (these tests' speed) draws small tiles: 3:2 is (80, 54), its grid (160, 108).
TILE_3_2 = images.tile_size((3, 2), get_speed("instant").tile_long_side)
GRID_3_2 = (TILE_3_2[0] * 2, TILE_3_2[1] * 2)


def png(colour: str, size: tuple[int, int] = (96, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def fetch_image(url: str) -> Image.Image:
    async with http_client() as client:
        response = await client.get(url)
    assert response.status_code == 200, url
    return Image.open(io.BytesIO(response.content))


def job_hash(message: dict) -> str:
    filename = message["attachments"][0]["filename"]
    found = UUID.findall(filename)
    assert found, filename
    return found[-1]


async def upscaled(driver: Driver, prompt: str = "a red fox --ar 3:2") -> dict:
    grid = await driver.final(await driver.imagine(prompt))
    return await driver.final(await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1")))


async def test_imagine_full_lifecycle(driver: Driver) -> None:
    nonce = await driver.imagine("a red fox in a snowy forest --ar 3:2 --v 6.1")
    interaction_id = await driver.interaction_id(nonce)
    start = await driver.nonce_message(nonce)
    user = f"<@{driver.account.user_id}>"
    prompt = "**a red fox in a snowy forest --ar 3:2 --v 6.1**"
    assert start["content"] == f"{prompt} - {user} (Waiting to start)"
    assert start["interaction"]["name"] == "imagine"
    assert start["interaction_metadata"]["id"] == interaction_id
    final = await driver.final(nonce)
    updates = [f["d"] for f in driver.gateway.dispatches("MESSAGE_UPDATE")]
    assert [u["content"][-12:] for u in updates] == [
        "(15%) (fast)", "(46%) (fast)", "(78%) (fast)",
    ]  # fmt: skip
    assert all(u["id"] == start["id"] for u in updates)
    digest = job_hash(final)
    for update in updates:  # one uuid in preview names, cancel button and the final file
        assert update["attachments"][0]["filename"].startswith(digest)
        assert update["components"][0]["components"][0]["custom_id"].endswith(digest)
        preview = await fetch_image(update["attachments"][0]["url"])
        assert preview.format == "JPEG"
    assert final["content"] == f"{prompt} - {user} (fast)"
    assert "nonce" not in final and final["id"] != start["id"]
    assert final["attachments"][0]["filename"].startswith("sandbox1_a_red_fox_in_a_snowy_forest_")
    grid = await fetch_image(final["attachments"][0]["url"])
    assert grid.format == "PNG" and grid.size == GRID_3_2 == (160, 108)
    assert (final["attachments"][0]["width"], final["attachments"][0]["height"]) == grid.size
    assert button_ids(final) == [
        *(f"MJ::JOB::upsample::{i}::{digest}" for i in range(1, 5)),
        f"MJ::JOB::reroll::0::{digest}::SOLO",
        *(f"MJ::JOB::variation::{i}::{digest}" for i in range(1, 5)),
    ]
    deleted = await driver.gateway.wait(lambda f: f.get("t") == "MESSAGE_DELETE")
    assert deleted["d"]["id"] == start["id"]
    history = (await driver.http.get(f"/channels/{driver.account.channel_id}/messages")).json()
    assert [m["id"] for m in history] == [final["id"]]


@pytest.mark.parametrize("index", [1, 2, 3, 4])
async def test_upscale_u1_to_u4(driver: Driver, index: int) -> None:
    grid = await driver.final(await driver.imagine("a red fox --ar 3:2"))
    nonce = await driver.click(grid, f"MJ::JOB::upsample::{index}::{job_hash(grid)}")
    single = await driver.final(nonce)
    assert single["type"] == 19
    assert (
        single["content"] == f"**a red fox --ar 3:2** - Image #{index} <@{driver.account.user_id}>"
    )
    assert single["message_reference"]["message_id"] == grid["id"]
    assert single["referenced_message"]["id"] == grid["id"]
    assert single["interaction_metadata"]["interacted_message_id"] == grid["id"]
    new_hash = job_hash(single)
    assert new_hash != job_hash(grid)
    ids = button_ids(single)
    assert f"MJ::JOB::upsample_v6r1_2x_subtle::1::{new_hash}::SOLO" in ids
    assert f"MJ::Outpaint::100::1::{new_hash}::SOLO" in ids  # not square: Make Square offered
    image = await fetch_image(single["attachments"][0]["url"])
    assert image.size == GRID_3_2  # the tile, twice as large
    grid_image = await fetch_image(grid["attachments"][0]["url"])
    (width, height), top = TILE_3_2, TILE_3_2[1] * 4 // 7  # above the caption band
    left, upper = (index - 1) % 2 * width, (index - 1) // 2 * height
    tile = grid_image.crop((left, upper, left + width, upper + top))
    # The upscale is that tile enlarged: its top half matches the tile's colours closely.
    small = image.resize(TILE_3_2).crop((0, 0, width, top))
    same = ImageStat.Stat(ImageChops.difference(small.convert("L"), tile.convert("L"))).mean[0]
    other = grid_image.crop((width, 0, 2 * width, top) if index == 1 else (0, 0, width, top))
    different = ImageStat.Stat(ImageChops.difference(small.convert("L"), other.convert("L"))).mean[
        0
    ]
    assert same < 12 and same < different


@pytest.mark.parametrize(
    ("prefix", "label"),
    [
        ("MJ::JOB::variation::1::", "Variations (Strong) by"),
        ("MJ::JOB::variation::4::", "Variations (Strong) by"),
        ("MJ::JOB::reroll::0::", ""),
    ],
)
async def test_grid_buttons_make_new_grids(driver: Driver, prefix: str, label: str) -> None:
    grid = await driver.final(await driver.imagine("a red fox"))
    nonce = await driver.click(grid, find_button(grid, prefix))
    start = await driver.nonce_message(nonce)
    user = f"<@{driver.account.user_id}>"
    assert (
        start["content"]
        == f"**a red fox** - {label + ' ' if label else ''}{user} (Waiting to start)"
    )
    result = await driver.final(nonce)
    assert result["content"].endswith(f"{user} (fast)")
    assert job_hash(result) != job_hash(grid)
    assert len(button_ids(result)) == 9
    assert await fetch_image(result["attachments"][0]["url"]) != await fetch_image(
        grid["attachments"][0]["url"]
    )


@pytest.mark.parametrize(
    ("prefix", "label", "progress"),
    [
        ("MJ::JOB::upsample_v6r1_2x_subtle::", "Upscaled (Subtle) by", "Upscaling by"),
        ("MJ::JOB::upsample_v6r1_2x_creative::", "Upscaled (Creative) by", "Upscaling by"),
        ("MJ::JOB::low_variation::", "Variations (Subtle) by", None),
        ("MJ::JOB::high_variation::", "Variations (Strong) by", None),
        ("MJ::Outpaint::50::", "Zoom Out by", None),
        ("MJ::Outpaint::75::", "Zoom Out by", None),
        ("MJ::Outpaint::100::", "Make Square by", None),
        ("MJ::JOB::pan_left::", "Pan Left by", None),
        ("MJ::JOB::pan_right::", "Pan Right by", None),
        ("MJ::JOB::pan_up::", "Pan Up by", None),
        ("MJ::JOB::pan_down::", "Pan Down by", None),
    ],
)
async def test_single_image_buttons(driver: Driver, prefix: str, label: str, progress: str | None):
    single = await upscaled(driver)
    before = len(driver.gateway.dispatches("MESSAGE_UPDATE"))
    nonce = await driver.click(single, find_button(single, prefix))
    user = f"<@{driver.account.user_id}>"
    result = await driver.final(nonce)
    assert result["content"] == f"**a red fox --ar 3:2** - {label} {user} (fast)"
    updates = driver.gateway.dispatches("MESSAGE_UPDATE")[before:]
    expected = f"{progress or label} {user} (15%) (fast)"
    assert updates[0]["d"]["content"].endswith(expected)
    image = await fetch_image(result["attachments"][0]["url"])
    if "Upscaled" in label:
        assert image.size == (GRID_3_2[0] * 2, GRID_3_2[1] * 2)
    elif label == "Make Square by":
        assert image.size == (GRID_3_2[0], GRID_3_2[0])
    else:
        assert image.size == GRID_3_2


async def test_custom_zoom_modal(driver: Driver) -> None:
    single = await upscaled(driver)
    await driver.click(single, find_button(single, "MJ::CustomZoom::"))
    frame = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_MODAL_CREATE")
    modal = frame["d"]
    assert modal["custom_id"] == f"MJ::OutpaintCustomZoomModal::{job_hash(single)}"
    assert modal["components"][0]["components"][0]["value"].endswith("--zoom 2")
    payload = interaction_modal(driver.account, modal, "a red fox --ar 3:2 --zoom 1.8")
    await driver.post_interaction(payload)
    result = await driver.final(payload["nonce"])
    assert result["content"].startswith("**a red fox --ar 3:2 --zoom 1.8** - Zoom Out by")
    assert result["interaction_metadata"]["type"] == 5
    # The modal is single-use.
    again = interaction_modal(driver.account, modal, "a red fox --zoom 1.5")
    await driver.post_interaction(again, expect=404)


async def test_custom_zoom_rejects_out_of_range_zoom(driver: Driver) -> None:
    single = await upscaled(driver)
    await driver.click(single, find_button(single, "MJ::CustomZoom::"))
    modal = (await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_MODAL_CREATE"))["d"]
    payload = interaction_modal(driver.account, modal, "a red fox --zoom 3")
    await driver.post_interaction(payload)
    error = await driver.nonce_message(payload["nonce"])
    assert error["embeds"][0]["title"] == "Invalid parameter"


async def test_vary_region_iframe_and_inpaint(driver: Driver) -> None:
    single = await upscaled(driver)
    nonce = await driver.click(single, find_button(single, "MJ::Inpaint::"))
    frame = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_IFRAME_MODAL_CREATE")
    assert frame["d"]["nonce"] == nonce and frame["d"]["title"] == "Inpaint"
    token = frame["d"]["custom_id"].removeprefix("MJ::iframe::")
    mask = io.BytesIO()
    mask_image = Image.new("L", (64, 64), 0)
    mask_image.paste(255, (0, 0, 32, 64))
    mask_image.save(mask, "PNG")
    body = {"customId": token, "mask": base64.b64encode(mask.getvalue()).decode(),
            "prompt": "a fox wearing a red scarf", "userId": "0", "username": "0",
            "full_prompt": None}  # fmt: skip
    async with http_client() as client:
        bad = await client.post(
            f"{driver.base_url}/inpaint/api/submit-job", json=body | {"mask": "!!"}
        )
        assert bad.status_code == 400
        response = await client.post(f"{driver.base_url}/inpaint/api/submit-job", json=body)
        assert response.json() == {"success": True}
        again = await client.post(f"{driver.base_url}/inpaint/api/submit-job", json=body)
        assert again.status_code == 404
    iframe_id = frame["d"]["id"]
    start = await driver.gateway.wait(
        lambda f: (
            f.get("t") == "MESSAGE_CREATE"
            and f["d"].get("interaction_metadata", {}).get("id") == iframe_id
        )
    )
    assert "nonce" not in start["d"]
    result = await driver.final(nonce)
    assert result["content"].startswith("**a fox wearing a red scarf** - Variations (Region) by")


@pytest.mark.parametrize("count", [2, 5])
async def test_blend(driver: Driver, count: int) -> None:
    colours = ["red", "green", "blue", "yellow", "purple"][:count]
    uploads = [await driver.upload(png(c), f"{c}.png") for c in colours]
    options = [{"type": 11, "name": f"image{i + 1}", "value": i} for i in range(count)]
    options.append({"type": 3, "name": "dimensions", "value": "--ar 2:3"})
    attachments = [
        {"id": str(i), "filename": f"{c}.png", "uploaded_filename": u}
        for i, (c, u) in enumerate(zip(colours, uploads, strict=True))
    ]
    payload = interaction_command(driver.account, "blend", options, attachments)
    await driver.post_interaction(payload)
    start = await driver.nonce_message(payload["nonce"])
    assert start["interaction"]["name"] == "blend"
    assert start["content"].count("<https://s.mj.run/") == count
    result = await driver.final(payload["nonce"])
    assert result["content"].endswith(f"--ar 2:3** - <@{driver.account.user_id}> (fast)")
    image = await fetch_image(result["attachments"][0]["url"])
    assert image.size == (GRID_3_2[1], GRID_3_2[0])  # 2:3


async def test_blend_rejects_duplicate_images(driver: Driver) -> None:
    uploads = [await driver.upload(png("red")) for _ in range(2)]
    options = [{"type": 11, "name": f"image{i + 1}", "value": i} for i in range(2)]
    attachments = [{"id": str(i), "filename": "a.png", "uploaded_filename": u}
                   for i, u in enumerate(uploads)]  # fmt: skip
    payload = interaction_command(driver.account, "blend", options, attachments)
    await driver.post_interaction(payload)
    error = await driver.nonce_message(payload["nonce"])
    assert error["embeds"][0]["title"] == "Duplicate images detected"


async def test_describe_four_prompts_then_imagine_one(driver: Driver) -> None:
    uploaded = await driver.upload(png("blue", (300, 200)), "blue.png")
    payload = interaction_command(
        driver.account, "describe", [{"type": 11, "name": "image", "value": 0}],
        [{"id": "0", "filename": "blue.png", "uploaded_filename": uploaded}],
    )  # fmt: skip
    await driver.post_interaction(payload)
    start = await driver.nonce_message(payload["nonce"])
    assert start["interaction_metadata"]["name"] == "describe" and start["embeds"] == []
    done = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["id"] == start["id"]
    )
    description = done["d"]["embeds"][0]["description"]
    prompts = re.findall(r"(\d)\ufe0f\u20e3 (.+)", description)
    assert [n for n, _ in prompts] == ["1", "2", "3", "4"]
    assert all(p.endswith("--ar 3:2") and "blue" in p for _, p in prompts)
    assert done["d"]["embeds"][0]["image"]["width"] == 300
    await driver.click(done["d"], "MJ::Job::PicReader::2")
    modal = (await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_MODAL_CREATE"))["d"]
    field = modal["components"][0]["components"][0]
    assert field["custom_id"] == "MJ::Picreader::Modal::PromptField"
    assert field["value"] == prompts[1][1]
    submit = interaction_modal(driver.account, modal, field["value"])
    await driver.post_interaction(submit)
    result = await driver.final(submit["nonce"])
    assert result["content"].startswith(f"**{prompts[1][1]}**")


async def test_describe_by_link_and_bad_link(driver: Driver) -> None:
    message = await driver.http.post(
        f"/channels/{driver.account.channel_id}/messages",
        files={"files[0]": ("green.png", png("green"), "image/png")},
        data={"content": "reference"},
    )
    assert message.status_code == 200, message.text
    link = message.json()["attachments"][0]["url"]
    for value, expected in [(link, None), ("https://example.invalid/x.png", "Invalid link")]:
        payload = interaction_command(driver.account, "describe",
                                      [{"type": 3, "name": "link", "value": value}])  # fmt: skip
        await driver.post_interaction(payload)
        first = await driver.nonce_message(payload["nonce"])
        if expected:
            assert first["embeds"][0]["title"] == expected
        else:
            assert first["interaction"]["name"] == "describe"


async def test_shorten(driver: Driver) -> None:
    prompt = "a very detailed and extremely beautiful painting of a majestic red fox at sunrise"
    payload = interaction_command(driver.account, "shorten",
                                  [{"type": 3, "name": "prompt", "value": prompt}])  # fmt: skip
    await driver.post_interaction(payload)
    start = await driver.nonce_message(payload["nonce"])
    done = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["id"] == start["id"]
    )
    result = done["d"]["embeds"][0]
    assert "Click on a button to imagine one of the shortened prompts" in result["footer"]["text"]
    options = re.findall(r"\d\ufe0f\u20e3 (.+)", result["description"])
    assert len(options) == 5
    assert all(len(o) < len(prompt) for o in options)
    await driver.click(done["d"], "MJ::Job::PromptAnalyzer::5")
    modal = (await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_MODAL_CREATE"))["d"]
    assert modal["custom_id"] == f"MJ::ImagineModal::{start['id']}"
    assert modal["components"][0]["components"][0]["value"] == options[4]


async def test_image_prompt_uses_the_uploaded_picture(driver: Driver) -> None:
    uploaded = await driver.upload(png("yellow", (128, 128)), "ref.png")
    posted = await driver.http.post(
        f"/channels/{driver.account.channel_id}/messages",
        json={"content": "", "attachments": [{"id": "0", "filename": "ref.png",
                                              "uploaded_filename": uploaded}]},
    )  # fmt: skip
    url = posted.json()["attachments"][0]["url"]
    mine = await driver.gateway.wait(
        lambda f: (
            f.get("t") == "MESSAGE_CREATE" and f["d"]["author"]["id"] == driver.account.user_id
        )
    )
    assert mine["d"]["attachments"][0]["url"] == url
    nonce = await driver.imagine(f"{url} a yellow cat")
    start = await driver.nonce_message(nonce)
    assert start["content"].startswith("**<https://s.mj.run/")
    result = await driver.final(nonce)
    plain = await driver.final(await driver.imagine("a yellow cat"))
    with_ref = await fetch_image(result["attachments"][0]["url"])
    without = await fetch_image(plain["attachments"][0]["url"])
    # Blended over a yellow reference (255, 255, 0) the grid has less blue than without it.
    assert _mean(with_ref)[2] < _mean(without)[2]


def _mean(image: Image.Image) -> list[float]:
    return ImageStat.Stat(image.convert("RGB")).mean


async def test_fast_relax_info_commands(driver: Driver) -> None:
    relax = interaction_command(driver.account, "relax", [])
    await driver.post_interaction(relax)
    relaxed = await driver.nonce_message(relax["nonce"])
    assert relaxed["content"].startswith("Done!")
    assert relaxed["interaction_metadata"]["name"] == "relax"
    final = await driver.final(await driver.imagine("a slow fox"))
    assert final["content"].endswith("(relaxed)")
    fast_prompt = await driver.final(await driver.imagine("a quick fox --fast"))
    assert fast_prompt["content"].endswith("(fast)")
    info = interaction_command(driver.account, "info", [])
    await driver.post_interaction(info)
    embed = (await driver.nonce_message(info["nonce"]))["embeds"][0]
    assert embed["title"] == "Your info" and "**Job Mode**: Relaxed" in embed["description"]
    fast = interaction_command(driver.account, "fast", [])
    await driver.post_interaction(fast)
    await driver.nonce_message(fast["nonce"])
    again = await driver.final(await driver.imagine("a fox again"))
    assert again["content"].endswith("(fast)")


async def test_cancel_job_stops_it(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("delay", account=0, seconds=0.3)
    nonce = await driver.imagine("a cancelled fox")
    start = await driver.nonce_message(nonce)
    update = await driver.gateway.wait(lambda f: f.get("t") == "MESSAGE_UPDATE")
    await driver.click(update["d"], find_button(update["d"], "MJ::CancelJob::ByJobid::"))
    stopped = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["content"].endswith("(Stopped)"),
        within=3,
    )
    assert stopped["d"]["id"] == start["id"]
    with pytest.raises(TimeoutError):
        await driver.final(nonce, within=0.6)


def test_job_hash_helper_rejects_names_without_uuid() -> None:
    with pytest.raises(AssertionError):
        job_hash({"attachments": [{"filename": "x.png"}]})
