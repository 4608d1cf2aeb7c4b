"""The simulated Pika bot: /create and /animate with progress and a real, playable MP4."""

from __future__ import annotations

import io

import av
from PIL import Image

from tests.integration.sandbox.helpers import PIKA_APP, Driver, http_client, interaction_command

CREATE = ("1123437775926251531", "1123437775926251532")
ANIMATE = ("1123437775926251533", "1123437775926251534")


async def video_frames(url: str) -> tuple[int, tuple[int, int], str]:
    async with http_client() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(response.content)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(video=0))
        return len(frames), (frames[0].width, frames[0].height), stream.codec_context.name


async def pika_final(driver: Driver, nonce: str) -> dict:
    interaction_id = await driver.interaction_id(nonce)
    frame = await driver.gateway.wait(
        lambda f: (
            f.get("t") == "MESSAGE_CREATE"
            and f["d"]["author"]["id"] == PIKA_APP
            and f["d"].get("interaction_metadata", {}).get("id") == interaction_id
            and bool(f["d"]["attachments"])
        )
    )
    return frame["d"]


async def test_create_video(driver: Driver) -> None:
    prompt = [{"type": 3, "name": "prompt", "value": "a horse running -motion 2"}]
    payload = interaction_command(driver.account, "create", prompt, app=PIKA_APP, command=CREATE)
    await driver.post_interaction(payload)
    start = await driver.nonce_message(payload["nonce"])
    assert start["author"]["username"] == "Pika"
    assert start["content"].endswith("(0%)")
    final = await pika_final(driver, payload["nonce"])
    updates = [f["d"]["content"][-5:] for f in driver.gateway.dispatches("MESSAGE_UPDATE")]
    assert updates == ["(25%)", "(50%)", "(75%)"]
    attachment = final["attachments"][0]
    assert attachment["content_type"] == "video/mp4"
    assert attachment["filename"].startswith("a_horse_running_motion_2_seed")
    assert (
        final["content"]
        == f"Prompt: a horse running -motion 2 - Author: <@{driver.account.user_id}>"
    )
    count, size, codec = await video_frames(attachment["url"])
    assert (count, size, codec) == (16, (320, 192), "h264")
    deleted = await driver.gateway.wait(lambda f: f.get("t") == "MESSAGE_DELETE")
    assert deleted["d"]["id"] == start["id"]

    retry = {
        "type": 3, "application_id": PIKA_APP, "guild_id": driver.account.guild_id,
        "channel_id": driver.account.channel_id, "message_id": final["id"], "message_flags": 0,
        "nonce": "777", "data": {"component_type": 2, "custom_id": f"pika::retry::{final['id']}"},
    }  # fmt: skip
    await driver.post_interaction(retry)
    again = await pika_final(driver, "777")
    assert again["attachments"][0]["url"] != attachment["url"]
    button = {"component_type": 2, "custom_id": f"pika::delete::{final['id']}"}
    delete = retry | {"nonce": "778", "data": button}
    await driver.post_interaction(delete)
    gone = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_DELETE" and f["d"]["id"] == final["id"]
    )
    assert gone["d"]["channel_id"] == driver.account.channel_id


async def test_animate_needs_an_image(driver: Driver) -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "orange").save(out, "PNG")
    uploaded = await driver.upload(out.getvalue(), "cat.png")
    payload = interaction_command(
        driver.account, "animate",
        [{"type": 11, "name": "image", "value": 0}, {"type": 3, "name": "prompt", "value": "wink"}],
        [{"id": "0", "filename": "cat.png", "uploaded_filename": uploaded}],
        app=PIKA_APP, command=ANIMATE,
    )  # fmt: skip
    await driver.post_interaction(payload)
    final = await pika_final(driver, payload["nonce"])
    count, _, _ = await video_frames(final["attachments"][0]["url"])
    assert count == 16
    missing = interaction_command(
        driver.account, "animate", [{"type": 3, "name": "prompt", "value": "wink"}],
        app=PIKA_APP, command=ANIMATE,
    )  # fmt: skip
    response = await driver.http.post("/interactions", json=missing)
    assert response.status_code == 400 and response.json()["code"] == 50035


async def test_pika_faults(driver: Driver) -> None:
    payload = interaction_command(
        driver.account, "create",
        [{"type": 3, "name": "prompt", "value": "a dog --sandbox-fault interaction_failure"}],
        app=PIKA_APP, command=CREATE,
    )  # fmt: skip
    await driver.post_interaction(payload)
    failure = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_FAILURE")
    assert failure["d"]["nonce"] == payload["nonce"]
