"""/settings, /info, /fast /relax /turbo and /prefer over real sockets, against spec fixtures."""

from __future__ import annotations

import copy
from typing import Any

from app.sandbox import Sandbox
from tests.integration.sandbox.helpers import Driver, interaction_command
from tests.integration.sandbox.shapes import assert_shape, fixture

Json = dict[str, Any]
EDITED = frozenset({"edited_timestamp"})


def settings_request(driver: Driver, name: str, **data: Any) -> Json:
    """A request body from the controls fixture, addressed to the driver's account."""
    body = copy.deepcopy(fixture("interaction-controls.request.json")[name])
    body.update(guild_id=driver.account.guild_id, channel_id=driver.account.channel_id)
    body["nonce"] = str(int(body["nonce"]) + 10**9 * len(driver.gateway.frames))
    body.pop("_comment", None)
    body["data"].update(data)
    return body


async def command(driver: Driver, name: str, options: list[Json] | None = None) -> Json:
    """Send a slash command; its first reply (the message echoing the nonce)."""
    payload = interaction_command(driver.account, name, options or [])
    await driver.post_interaction(payload)
    return await driver.nonce_message(payload["nonce"])


async def open_settings(driver: Driver) -> Json:
    """/settings: the panel as its MESSAGE_UPDATE carries it."""
    created = await command(driver, "settings")
    update = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["id"] == created["id"]
    )
    return update["d"]


async def press(driver: Driver, panel: Json, custom_id: str, values: list[str] | None = None):
    """Press a panel control; the panel's next edit."""
    start = len(driver.gateway.frames)
    name = "settings_select" if values is not None else "settings_button"
    body = settings_request(driver, name, custom_id=custom_id)
    if values is not None:
        body["data"]["values"] = values
    body["message_id"] = panel["id"]
    await driver.post_interaction(body)
    update = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["id"] == panel["id"], start=start
    )
    return update["d"]


def style(panel: Json, custom_id: str) -> int:
    for row in panel["components"]:
        for item in row["components"]:
            if item.get("custom_id") == custom_id:
                return item["style"]
    raise AssertionError(custom_id)


async def info(driver: Driver) -> dict[str, str]:
    """/info's fields, read from its MESSAGE_UPDATE as TA and NZ+ do."""
    created = await command(driver, "info")
    update = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["id"] == created["id"]
    )
    assert update["d"]["interaction_metadata"]["name"] == "info"
    fields = {}
    for line in filter(None, update["d"]["embeds"][0]["description"].splitlines()):
        key, _, value = line.partition(":")
        fields[key.strip().strip("*")] = value.strip()
    return fields


def hours_left(fields: dict[str, str]) -> float:
    return float(fields["Fast Time Remaining"].split("/")[0])


async def test_settings_panel_is_posted_then_edited_with_the_spec_shape(driver: Driver) -> None:
    body = settings_request(driver, "settings_command")
    await driver.post_interaction(body)  # the TA request body itself is accepted
    created = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"].get("nonce") == body["nonce"]
    )
    spec = fixture("mj-settings.message_update.json")
    assert_shape(created, spec.pop("create_variant"), EDITED)
    updated = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["id"] == created["d"]["id"]
    )
    assert_shape(updated, spec, EDITED)
    panel = updated["d"]
    assert panel["flags"] == 64 and panel["interaction_metadata"]["name"] == "settings"
    assert panel["components"] == created["d"]["components"]  # on both deliveries
    assert style(panel, "MJ::Settings::RemixMode") == 2


async def test_pressing_buttons_edits_the_panel_and_changes_the_account(
    sandbox: Sandbox, driver: Driver
) -> None:
    panel = await open_settings(driver)
    state = sandbox.core.directory.states[driver.account.user_id]
    panel = await press(driver, panel, "MJ::Settings::RemixMode")
    assert style(panel, "MJ::Settings::RemixMode") == 3 and state.remix
    panel = await press(driver, panel, "MJ::Settings::Stylization::250")
    assert style(panel, "MJ::Settings::Stylization::250") == 3
    assert style(panel, "MJ::Settings::Stylization::100") == 2
    panel = await press(driver, panel, "MJ::Settings::Style::raw")
    panel = await press(driver, panel, "MJ::Settings::VersionSelector", ["6.1"])
    select = panel["components"][0]["components"][0]
    assert [o["value"] for o in select["options"] if o["default"]] == ["6.1"]
    assert "--v 6.1 --style raw --s 250" in panel["content"]
    panel = await press(driver, panel, "MJ::Settings::RemixMode")  # remix off again
    final = await driver.final(await driver.imagine("a settled fox"))
    assert final["content"].startswith("**a settled fox --v 6.1 --style raw --s 250** - <@")
    panel = await press(driver, panel, "MJ::Settings::RelaxMode")
    assert style(panel, "MJ::Settings::RelaxMode") == 3 and state.mode == "relax"
    assert (await driver.final(await driver.imagine("a calm fox")))["content"].endswith("(relaxed)")
    panel = await press(driver, panel, "MJ::Settings::PrivateMode::on")
    assert (await info(driver))["Visibility Mode"] == "Stealth"
    panel = await press(driver, panel, "MJ::Settings::ResetSettings")
    assert "Current suffix" not in panel["content"] and state.profile.stylize == 100


async def test_a_select_value_not_offered_is_refused(driver: Driver) -> None:
    panel = await open_settings(driver)
    body = settings_request(driver, "settings_select", values=["99"])
    body["message_id"] = panel["id"]
    response = await driver.post_interaction(body, expect=400)
    assert response.json()["code"] == 50035


async def test_fast_time_goes_down_as_fast_jobs_finish_and_relax_is_free(driver: Driver) -> None:
    before = await info(driver)
    assert before["Subscription"].startswith("Pro (Active monthly, renews next on <t:")
    assert before["Job Mode"] == "Fast" and before["Running Jobs"] == "None"
    await driver.final(await driver.imagine("a costly fox"))
    after = await info(driver)
    assert hours_left(after) < hours_left(before)
    assert after["Lifetime Usage"].startswith("4 images")
    await driver.final(await driver.imagine("a free fox --relax"))
    relaxed = await info(driver)
    assert hours_left(relaxed) == hours_left(after)
    assert relaxed["Relaxed Usage"].startswith("4 images")


async def test_when_fast_time_runs_out_fast_jobs_fail_and_relax_still_works(
    sandbox: Sandbox, driver: Driver
) -> None:
    await sandbox.inject_fault("fast_time", account=0, minutes=1.5)
    await driver.final(await driver.imagine("fox one"))
    await driver.final(await driver.imagine("fox two"))  # starts with 0.5 min left
    assert hours_left(await info(driver)) == 0
    refused = await driver.nonce_message(await driver.imagine("fox three"))
    error_shape = fixture("mj-error-banned.message_create.json")["d"]
    del error_shape["embeds"][0]["footer"]  # the gate answers before reading the prompt
    assert_shape(refused, error_shape)
    assert refused["embeds"][0]["title"] == "Credits exhausted" and refused["flags"] == 64
    assert (await command(driver, "fast"))["embeds"][0]["title"] == "Credits exhausted"
    assert (await command(driver, "relax"))["content"].startswith("Done!")
    panel = await open_settings(driver)
    refused_press = await driver.click(panel, "MJ::Settings::TurboMode")
    assert (await driver.nonce_message(refused_press))["embeds"][0]["title"] == "Credits exhausted"
    assert sandbox.core.directory.states[driver.account.user_id].mode == "relax"
    final = await driver.final(await driver.imagine("fox four"))
    assert final["content"].endswith("(relaxed)")


async def test_turbo_doubles_the_cost_and_is_refused_for_video(driver: Driver) -> None:
    reply = await command(driver, "turbo")
    assert reply["content"].startswith("Done!")
    assert reply["interaction_metadata"]["name"] == "turbo"
    before = hours_left(await info(driver))
    assert (await driver.final(await driver.imagine("a quick fox")))["content"].endswith("(turbo)")
    assert round(before - hours_left(await info(driver)), 2) == round(2 / 60, 2)
    assert (await driver.final(await driver.imagine("a fox --fast")))["content"].endswith("(fast)")
    refused = await driver.nonce_message(await driver.imagine("a moving fox --video"))
    assert refused["embeds"][0]["description"] == "Turbo mode isn't supported for video jobs"


async def test_info_counts_queued_and_running_jobs(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("delay", account=0, seconds=2, count=4)
    nonces = [await driver.imagine(f"busy fox {n}") for n in range(4)]
    await driver.gateway.wait(
        lambda f: (
            f.get("t") == "MESSAGE_CREATE"
            and bool(f["d"]["embeds"])
            and f["d"]["embeds"][0].get("title") == "Job queued"
        )
    )
    fields = await info(driver)
    assert fields["Queued Jobs (fast)"] == "1" and fields["Queued Jobs (relax)"] == "0"
    assert len(fields["Running Jobs"].split(", ")) == 3
    for nonce in nonces:
        await driver.final(nonce, within=15)


async def test_prefer_suffix_and_custom_options_apply_to_later_prompts(driver: Driver) -> None:
    await driver.post_interaction(settings_request(driver, "prefer_suffix"))
    final = await driver.final(await driver.imagine("a framed fox"))
    assert final["content"].startswith("**a framed fox --ar 3:2**")
    await driver.post_interaction(settings_request(driver, "prefer_option_set"))
    wide = await driver.final(await driver.imagine("a wide fox --wide"))
    assert wide["content"].startswith("**a wide fox --ar 16:9**")
    listed = await command(
        driver, "prefer", [{"type": 2, "name": "option", "options": [{"type": 1, "name": "list"}]}]
    )
    assert "`--wide` = `--ar 16:9`" in listed["content"]
    bad = await command(driver, "prefer", [{"type": 1, "name": "suffix", "options": [
        {"type": 3, "name": "new_value", "value": "--nope"}]}])  # fmt: skip
    assert bad["embeds"][0]["title"] == "Invalid parameter"
    cleared = await command(driver, "prefer", [{"type": 1, "name": "suffix", "options": []}])
    assert cleared["content"] == "Suffix removed."
    plain = await driver.final(await driver.imagine("a plain fox"))
    assert plain["content"].startswith("**a plain fox** - <@")


async def test_prefer_remix_toggles_remix_and_shows_on_the_panel(driver: Driver) -> None:
    spec = fixture("interaction-controls.request.json")["prefer_remix_reply"]
    body = settings_request(driver, "prefer_remix")
    await driver.post_interaction(body)
    reply = await driver.nonce_message(body["nonce"])
    frame = next(f for f in driver.gateway.dispatches("MESSAGE_CREATE") if f["d"] is reply)
    assert_shape(frame, spec, EDITED)
    assert reply["content"].startswith("Remix mode turned on")
    assert reply["interaction_metadata"]["name"] == "prefer remix"
    assert style(await open_settings(driver), "MJ::Settings::RemixMode") == 3
    off = await command(driver, "prefer", [{"type": 1, "name": "remix", "options": []}])
    assert off["content"].startswith("Remix mode turned off")


async def test_the_command_index_lists_every_control_and_the_fixture_requests_work(
    driver: Driver,
) -> None:
    index = await driver.http.get(f"/guilds/{driver.account.guild_id}/application-command-index")
    commands = {
        c["name"]: c
        for c in index.json()["application_commands"]
        if c["application_id"] == "936929561302675456"
    }
    assert {"settings", "info", "fast", "relax", "turbo", "prefer"} <= set(commands)
    requests = fixture("interaction-controls.request.json")
    for name in ("settings_command", "info_command", "relax_command", "prefer_remix"):
        data = requests[name]["data"]
        assert (commands[data["name"]]["id"], commands[data["name"]]["version"]) == (
            data["id"], data["version"],
        )  # fmt: skip
        await driver.post_interaction(settings_request(driver, name))
    prefer = {o["name"]: o for o in commands["prefer"]["options"]}
    assert prefer["remix"]["type"] == 1 and prefer["option"]["type"] == 2
    relax_reply = requests["relax_reply"]
    reply = await driver.gateway.wait(
        lambda f: (
            f.get("t") == "MESSAGE_CREATE"
            and f["d"].get("interaction_metadata", {}).get("name") == "relax"
        )
    )
    assert_shape(reply, relax_reply, EDITED)
    assert reply["d"]["content"] == relax_reply["d"]["content"]


async def test_a_prompt_flag_can_empty_the_fast_time(driver: Driver) -> None:
    refused = await driver.nonce_message(await driver.imagine("a fox --sandbox-fault fast_time:0"))
    assert refused["embeds"][0]["title"] == "Credits exhausted"
    assert (await info(driver))["Fast Time Remaining"].startswith("0.00/30.0 hours")


async def test_info_reply_has_the_spec_shape(driver: Driver) -> None:
    body = settings_request(driver, "info_command")
    await driver.post_interaction(body)
    created = await driver.nonce_message(body["nonce"])
    update = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["id"] == created["id"]
    )
    spec = fixture("mj-info.message_update.json")
    assert_shape(update, {key: spec[key] for key in ("op", "s", "t", "d")}, EDITED)
    assert update["d"]["embeds"][0]["title"] == "Your info"
    assert created["embeds"] == update["d"]["embeds"] and created["flags"] == 64
