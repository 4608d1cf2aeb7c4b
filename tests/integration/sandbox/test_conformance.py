"""Every shape the sandbox emits validates against the matching spec fixture."""

from __future__ import annotations

import copy
import io

from PIL import Image

from app.sandbox import Sandbox
from tests.integration.sandbox.helpers import (
    Driver,
    GatewayClient,
    find_button,
    interaction_command,
    interaction_modal,
)
from tests.integration.sandbox.shapes import assert_shape, fixture

# The fixture shows `edited_timestamp` null on creates and a string on updates.
EDITED = frozenset({"edited_timestamp"})


def png_bytes(colour: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def test_gateway_frames_match_fixtures(sandbox: Sandbox) -> None:
    hello_fixture = fixture("gateway-hello.json")
    client = GatewayClient(sandbox.gateway_url, sandbox.accounts[0].token)
    hello = await client.open()
    assert_shape(hello, hello_fixture["hello"])
    ready = await client.identify()
    # The fixture is the minimal READY; the sandbox adds fields real user READYs carry.
    minimal = fixture("ready.json")
    assert_shape({**ready, "d": {k: ready["d"][k] for k in minimal["d"]}}, minimal)
    supplemental = await client.wait(lambda f: f.get("t") == "READY_SUPPLEMENTAL")
    assert supplemental["s"] == 2
    assert ready["s"] == 1
    start = len(client.frames)
    await client.send(hello_fixture["heartbeat_client_after_dispatches"] | {"d": client.seq})
    ack = await client.wait(lambda f: f["op"] == 11, start=start)
    assert_shape(ack, hello_fixture["heartbeat_ack_server"])
    await client.close(4000)  # resumable close by the client

    frames = fixture("gateway-resume-reconnect-invalid.json")
    resumed_client = GatewayClient(sandbox.gateway_url, sandbox.accounts[0].token)
    resumed_client.session_id, resumed_client.seq = client.session_id, client.seq
    await resumed_client.open()
    resume = copy.deepcopy(frames["resume_client"])
    resume["d"].update(token=client.token, session_id=client.session_id, seq=client.seq)
    await resumed_client.send(resume)
    resumed = await resumed_client.wait(lambda f: f.get("t") == "RESUMED")
    assert_shape(resumed, frames["resumed_server"])

    await sandbox.inject_fault("reconnect", account=0, grace=5)
    reconnect = await resumed_client.wait(lambda f: f["op"] == 7)
    assert_shape(reconnect, frames["reconnect_server"])
    await sandbox.inject_fault("invalid_session", account=0, resumable=True)
    invalid = await resumed_client.wait(lambda f: f["op"] == 9)
    assert_shape(invalid, frames["invalid_session_resumable"])
    assert invalid["d"] is True
    await resumed_client.close()


async def test_imagine_lifecycle_shapes(driver: Driver) -> None:
    request = fixture("interaction-imagine.request.json")
    account = driver.account
    request.update(guild_id=account.guild_id, channel_id=account.channel_id, nonce="1399")
    await driver.post_interaction(request)  # the fixture request itself is accepted
    events = fixture("interaction-events.dispatch.json")
    created = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_CREATE")
    assert_shape(created, events["interaction_create"])
    success = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_SUCCESS")
    assert_shape(success, events["interaction_success"])
    assert success["d"] == {"id": created["d"]["id"], "nonce": "1399"}

    start = await driver.gateway.wait(lambda f: f.get("t") == "MESSAGE_CREATE")
    assert_shape(start, fixture("mj-start.message_create.json"), EDITED)
    progress_fixture = fixture("mj-progress.message_update.json")
    later_delete = progress_fixture.pop("later_delete")
    updates = [f for f in driver.gateway.frames if f.get("t") == "MESSAGE_UPDATE"]
    final = await driver.final("1399")
    updates = driver.gateway.dispatches("MESSAGE_UPDATE")
    assert len(updates) == 3
    for update in updates:
        assert_shape(update, progress_fixture, EDITED)
    done = next(f for f in driver.gateway.dispatches("MESSAGE_CREATE") if f["d"] is final)
    assert_shape(done, fixture("mj-imagine-done.message_create.json"), EDITED)
    delete = await driver.gateway.wait(lambda f: f.get("t") == "MESSAGE_DELETE")
    assert_shape(delete, later_delete)
    assert delete["d"]["id"] == start["d"]["id"]


async def test_upscale_request_and_result_shapes(driver: Driver) -> None:
    grid = await driver.final(await driver.imagine("a red fox --ar 3:2"))
    request = fixture("interaction-upscale.request.json")
    job_hash = find_button(grid, "MJ::JOB::upsample::2::").rsplit("::", 1)[1]
    request.update(
        guild_id=driver.account.guild_id, channel_id=driver.account.channel_id,
        message_id=grid["id"], nonce="1398",
    )  # fmt: skip
    request["data"]["custom_id"] = f"MJ::JOB::upsample::2::{job_hash}"
    await driver.post_interaction(request)
    single = await driver.final("1398")
    done = next(f for f in driver.gateway.dispatches("MESSAGE_CREATE") if f["d"] is single)
    assert_shape(done, fixture("mj-upscale-done.message_create.json"), EDITED)


async def test_custom_zoom_modal_flow_shapes(driver: Driver) -> None:
    flow = fixture("interaction-customzoom-modal.flow.json")
    grid = await driver.final(await driver.imagine("a fox --ar 3:2"))
    single = await driver.final(await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1")))
    click = flow["step1_button_click_request"]
    click.update(
        guild_id=driver.account.guild_id, channel_id=driver.account.channel_id,
        message_id=single["id"], nonce="1397",
    )  # fmt: skip
    click["data"]["custom_id"] = find_button(single, "MJ::CustomZoom::")
    await driver.post_interaction(click)
    modal = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_MODAL_CREATE")
    assert_shape(modal, flow["step2_modal_create_dispatch"])
    submit = flow["step3_modal_submit_request"]
    submit.update(guild_id=driver.account.guild_id, channel_id=driver.account.channel_id)
    submit["nonce"] = "1396"
    submit["data"].update(id=modal["d"]["id"], custom_id=modal["d"]["custom_id"])
    submit["data"]["components"][0]["components"][0]["value"] = "a fox --zoom 1.8"
    await driver.post_interaction(submit)
    zoomed = await driver.final("1396")
    assert "Zoom Out by" in zoomed["content"]


async def test_iframe_modal_shape(driver: Driver) -> None:
    grid = await driver.final(await driver.imagine("a fox"))
    single = await driver.final(await driver.click(grid, find_button(grid, "MJ::JOB::upsample::1")))
    await driver.click(single, find_button(single, "MJ::Inpaint::"))
    iframe = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_IFRAME_MODAL_CREATE")
    expected = fixture("interaction-iframe-modal-create.dispatch.json")
    request = expected.pop("inpaint_submit_request")
    response_fixture = expected.pop("inpaint_submit_response")
    assert_shape(iframe, expected)
    request["customId"] = iframe["d"]["custom_id"].removeprefix("MJ::iframe::")
    response = await driver.http.post(f"{driver.base_url}/inpaint/api/submit-job", json=request)
    assert response.status_code == 200
    assert_shape(response.json(), response_fixture)


async def test_describe_error_and_queued_shapes(sandbox: Sandbox, driver: Driver) -> None:
    upload_flow = fixture("attachments-upload.json")
    account = driver.account
    response = await driver.http.post(
        f"/channels/{account.channel_id}/attachments", json=upload_flow["step1_request"]["json"]
    )
    assert_shape(response.json(), upload_flow["step1_response_200"])
    slot = response.json()["attachments"][0]
    put = await driver.http.put(
        slot["upload_url"], content=png_bytes(), headers={"Content-Type": "image/png"}
    )
    assert put.status_code == 200 and put.text == ""
    describe = upload_flow["step3_full_describe_request"]
    describe.update(guild_id=account.guild_id, channel_id=account.channel_id, nonce="1395")
    describe["data"]["attachments"][0]["uploaded_filename"] = slot["upload_filename"]
    await driver.post_interaction(describe)
    result = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and bool(f["d"]["embeds"])
    )
    assert_shape(result, fixture("mj-describe-done.message_update.json"), EDITED)

    nonce = await driver.imagine("gore in the forest")
    banned = await driver.nonce_message(nonce)
    frame = next(f for f in driver.gateway.dispatches("MESSAGE_CREATE") if f["d"] is banned)
    assert_shape(frame, fixture("mj-error-banned.message_create.json"))

    for _ in range(3):
        await sandbox.inject_fault("delay", account=0, seconds=1.0)
        await driver.imagine("a busy fox")
    queued_nonce = await driver.imagine("a waiting fox")
    queued = await driver.nonce_message(queued_nonce)
    frame = next(f for f in driver.gateway.dispatches("MESSAGE_CREATE") if f["d"] is queued)
    assert_shape(frame, fixture("mj-job-queued.message_create.json"))
    assert queued["embeds"][0]["title"] == "Job queued"
    await driver.final(queued_nonce)


async def test_rest_shapes(driver: Driver) -> None:
    index = await driver.http.get(f"/guilds/{driver.account.guild_id}/application-command-index")
    assert_shape(index.json(), fixture("application-command-index.response.json"))
    errors = fixture("rate-limit-429.response.json")
    bodies = errors["other_error_bodies"]
    prompt = [{"type": 3, "name": "prompt", "value": "x"}]
    stale = interaction_command(
        driver.account, "imagine", prompt, command=("938956540159881230", "1")
    )
    response = await driver.http.post("/interactions", json=stale)
    assert response.status_code == 400
    assert response.json()["code"] == 50035
    assert set(response.json()) == set(bodies["400_invalid_form_body"])
    assert "version" in response.json()["errors"]["data"]
    anonymous = await driver.http.get("/users/@me", headers={"Authorization": "nope"})
    assert anonymous.status_code == 401
    assert_shape(anonymous.json(), bodies["401_unauthorized"])
    assert anonymous.json() == bodies["401_unauthorized"]
    account = driver.account
    click = {
        "type": 3, "application_id": "936929561302675456", "channel_id": account.channel_id,
        "guild_id": account.guild_id, "message_id": "1", "nonce": "5",
        "data": {"component_type": 2, "custom_id": "MJ::JOB::upsample::1::x"},
    }  # fmt: skip
    missing = await driver.http.post("/interactions", json=click)
    assert missing.status_code == 404
    assert missing.json() == bodies["404_unknown_message"]
    foreign = click | {"channel_id": "42", "guild_id": None}
    assert (await driver.http.post("/interactions", json=foreign)).json()["code"] == 10003


async def test_429_shape(sandbox: Sandbox, driver: Driver) -> None:
    expected = fixture("rate-limit-429.response.json")
    await sandbox.inject_fault("rate_limit", account=0, retry_after=2.345)
    response = await driver.http.get("/users/@me")
    assert response.status_code == 429
    assert_shape(response.json(), expected["body"])
    assert response.json()["retry_after"] == 2.345
    for header in expected["headers"]:
        assert header.lower() in response.headers, header
    assert response.headers["retry-after"] == "3"


async def test_modal_submit_fixture_needs_a_modal(driver: Driver) -> None:
    """A type 5 submit for a modal the bot never opened is refused (10062)."""
    row = {"type": 1, "components": [{"type": 4, "custom_id": "p"}]}
    modal = {"id": "1300000000000000104", "custom_id": "MJ::OutpaintCustomZoomModal::x",
             "components": [row]}  # fmt: skip
    response = await driver.http.post(
        "/interactions", json=interaction_modal(driver.account, modal, "x")
    )
    assert response.status_code == 404
    assert response.json()["code"] == 10062
