"""The Midjourney bot's errors from natural triggers: prompts, account state, concurrency."""

from __future__ import annotations

import pytest

from app.sandbox import Sandbox, start_sandbox
from tests.integration.sandbox.helpers import Driver, find_button, interaction_click


@pytest.mark.parametrize(
    ("prompt", "title", "detail"),
    [
        ("a bloody nsfw scene", "Banned prompt detected", "community standards"),
        ("a fox --foo 3", "Invalid parameter", "`--foo`"),
        ("a fox --ar 3x2", "Invalid parameter", "--ar"),
        ("a fox --chaos 500", "Invalid parameter", "--c"),
        ("--ar 3:2", "Empty prompt", ""),
    ],
)
async def test_prompt_errors(driver: Driver, prompt: str, title: str, detail: str) -> None:
    nonce = await driver.imagine(prompt)
    reply = await driver.nonce_message(nonce)
    embed = reply["embeds"][0]
    assert embed["title"] == title
    assert detail in embed["description"]
    assert embed["footer"]["text"] == f"/imagine {prompt}"
    assert reply["flags"] == 64 and reply["interaction"]["name"] == "imagine"


async def test_pending_moderation_until_acknowledged(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("pending_mod", account=0)
    reply = await driver.nonce_message(await driver.imagine("a fox"))
    assert reply["embeds"][0]["title"] == "Pending mod message"
    again = await driver.nonce_message(await driver.imagine("another fox"))
    assert again["embeds"][0]["title"] == "Pending mod message"
    # The Acknowledged button lives on an ephemeral message only this user can click.
    await driver.click(again, find_button(again, "MJ::Prompts::Acknowledge::"))
    await driver.final(await driver.imagine("a fox at last"))


async def test_action_needed_has_an_appeal_button(driver: Driver) -> None:
    reply = await driver.nonce_message(
        await driver.imagine("fox --sandbox-fault error:action_needed")
    )
    assert reply["embeds"][0]["title"] == "Action needed to continue"
    find_button(reply, "MJ::Prompts::Appeal::")


async def test_captcha_iframe_until_cleared(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("captcha", account=0)
    nonce = await driver.imagine("a fox")
    frame = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_IFRAME_MODAL_CREATE")
    assert frame["d"]["title"] == "Action required to continue"
    assert frame["d"]["nonce"] == nonce
    assert frame["d"]["iframe_path"].startswith("/captcha/embedded/")
    assert frame["d"]["custom_id"].startswith("MJ::iframe::")
    await sandbox.inject_fault("clear", account=0)
    await driver.final(await driver.imagine("a fox"))


async def test_credits_exhausted_in_fast_but_relax_works(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("credits_exhausted", account=0)
    reply = await driver.nonce_message(await driver.imagine("a fox"))
    assert reply["embeds"][0]["title"] == "Credits exhausted"
    final = await driver.final(await driver.imagine("a fox --relax"))
    assert final["content"].endswith("(relaxed)")


async def test_blocked_account(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("blocked", account=0)
    reply = await driver.nonce_message(await driver.imagine("a fox"))
    assert reply["embeds"][0]["title"] == "Blocked"


async def test_action_on_another_users_job_is_restricted(driver: Driver, other: Driver) -> None:
    grid = await driver.final(await driver.imagine("my fox"))
    seen = await other.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"]["id"] == grid["id"]
    )
    payload = interaction_click(other.account, seen["d"], find_button(grid, "MJ::JOB::upsample::1"))
    payload["channel_id"] = driver.account.channel_id  # the click happens in my channel
    await other.post_interaction(payload)
    reply = await other.nonce_message(payload["nonce"])
    assert reply["embeds"][0]["title"] == "Job action restricted"


async def test_job_queued_then_started_and_queue_full() -> None:
    async with start_sandbox(port=0, concurrency=1, queue_size=1) as sandbox:
        driver = Driver(sandbox.base_url, sandbox.gateway_url, sandbox.accounts[0])
        await driver.gateway.connect()
        first = await driver.imagine("a first fox --sandbox-fault delay:1")
        await driver.nonce_message(first)
        queued = await driver.imagine("a second fox")
        full = await driver.imagine("a third fox")
        queued_reply = await driver.nonce_message(queued)
        assert queued_reply["embeds"][0]["title"] == "Job queued"
        full_reply = await driver.nonce_message(full)
        assert full_reply["embeds"][0]["title"] == "Queue full"
        final = await driver.final(queued)  # started once the first finished
        queued_id = await driver.interaction_id(queued)
        starts = [
            f["d"] for f in driver.gateway.dispatches("MESSAGE_CREATE")
            if f["d"].get("interaction_metadata", {}).get("id") == queued_id
            and f["d"]["content"].endswith("(Waiting to start)")
        ]  # fmt: skip
        assert len(starts) == 1 and "nonce" not in starts[0]
        first_final = await driver.final(first)
        assert int(first_final["id"]) < int(starts[0]["id"]) < int(final["id"])
        assert sandbox.submissions.nonce_counts() == {first: 1, queued: 1, full: 1}
        await driver.aclose()


async def test_concurrency_is_per_account(sandbox: Sandbox, driver: Driver, other: Driver) -> None:
    for _ in range(3):
        await sandbox.inject_fault("delay", account=0, seconds=1.0)
        await driver.imagine("a busy fox")
    mine = await driver.imagine("my fourth fox")
    theirs = await other.imagine("their first fox")
    assert (await driver.nonce_message(mine))["embeds"][0]["title"] == "Job queued"
    assert (await other.nonce_message(theirs))["content"].endswith("(Waiting to start)")
    await driver.final(mine)
