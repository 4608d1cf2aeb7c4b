"""Every fault, by the admin endpoint and by `--sandbox-fault` prompt flags."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from app.sandbox import Sandbox, start_sandbox
from tests.integration.sandbox.helpers import Driver, find_button, http_client


async def post_fault(sandbox: Sandbox, body: dict) -> httpx.Response:
    async with http_client(base_url=sandbox.base_url) as client:
        return await client.post("/_sandbox/faults", json=body)


async def test_accounts_endpoint(sandbox: Sandbox) -> None:
    async with http_client(base_url=sandbox.base_url) as client:
        body = (await client.get("/_sandbox/accounts")).json()
    assert [a["token"] for a in body["accounts"]] == [a.token for a in sandbox.accounts]
    assert body["accounts"][0]["channel_id"] == sandbox.accounts[0].channel_id
    assert body["gateway_url"] == sandbox.gateway_url


async def test_fault_endpoint_validates(sandbox: Sandbox) -> None:
    assert (await post_fault(sandbox, {"kind": "nonsense"})).status_code == 400
    assert (
        await post_fault(sandbox, {"kind": "drop_final", "account": "nobody"})
    ).status_code == 400
    bad_error = {"kind": "error", "error": "not-an-error"}
    assert (await post_fault(sandbox, bad_error)).status_code == 400
    ok = await post_fault(sandbox, {"kind": "drop_final", "account": "sandbox-1", "count": 2})
    assert ok.json() == {"kind": "drop_final", "armed": 2, "account": "sandbox-1"}


@pytest.mark.parametrize("how", ["admin", "flag"])
async def test_drop_final(sandbox: Sandbox, driver: Driver, how: str) -> None:
    prompt = "a lost fox"
    if how == "admin":
        assert (await post_fault(sandbox, {"kind": "drop_final", "account": 0})).status_code == 200
    else:
        prompt += " --sandbox-fault drop_final"
    nonce = await driver.imagine(prompt)
    start = await driver.nonce_message(nonce)
    await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and "78%" in f["d"]["content"]
    )
    with pytest.raises(TimeoutError):
        await driver.final(nonce, within=0.5)
    assert not driver.gateway.dispatches("MESSAGE_DELETE")
    assert start["content"].endswith("(Waiting to start)")
    # The fault was used up: the next job completes.
    await driver.final(await driver.imagine("a found fox"))


async def test_delay_holds_the_final(driver: Driver) -> None:
    began = time.monotonic()
    await driver.final(await driver.imagine("a slow fox --sandbox-fault delay:0.4"))
    assert time.monotonic() - began >= 0.4


async def test_disconnect_mid_job_then_resume(driver: Driver) -> None:
    gateway = driver.gateway
    nonce = await driver.imagine("a fox --sandbox-fault disconnect:4000")
    assert await gateway.wait_closed() == 4000
    await asyncio.sleep(0.1)
    await gateway.open()
    start = len(gateway.frames)
    await gateway.resume()
    await gateway.wait(lambda f: f.get("t") == "RESUMED", start=start)
    final = await driver.final(nonce)
    assert final["attachments"]


async def test_disconnect_with_fatal_code_drops_the_session(sandbox: Sandbox, driver: Driver):
    await sandbox.inject_fault("disconnect", account=0, code=4009)
    assert await driver.gateway.wait_closed() == 4009
    await driver.gateway.open()
    await driver.gateway.resume()
    assert (await driver.gateway.wait(lambda f: f["op"] == 9))["d"] is False


async def test_reconnect_closes_after_grace(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("reconnect", account=0, grace=0.05)
    await driver.gateway.wait(lambda f: f["op"] == 7)
    assert await driver.gateway.wait_closed() == 4000
    await driver.gateway.open()
    await driver.gateway.resume()  # 4000 keeps the session
    await driver.gateway.wait(lambda f: f.get("t") == "RESUMED")


async def test_invalid_session_not_resumable(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("invalid_session", account=0)
    assert (await driver.gateway.wait(lambda f: f["op"] == 9))["d"] is False
    await driver.gateway.close(4000)
    await driver.gateway.open()
    await driver.gateway.resume()
    start = len(driver.gateway.frames)
    assert (await driver.gateway.wait(lambda f: f["op"] == 9, start=start))["d"] is False


async def test_identify_invalid_and_resume_fail(sandbox: Sandbox) -> None:
    driver = Driver(sandbox.base_url, sandbox.gateway_url, sandbox.accounts[0])
    await sandbox.inject_fault("identify_invalid", account=0)
    await driver.gateway.open()
    await driver.gateway.send({"op": 2, "d": {"token": driver.account.token}})
    assert (await driver.gateway.wait(lambda f: f["op"] == 9))["d"] is False
    await driver.gateway.close()
    await driver.gateway.connect()  # the fault is used up
    await driver.gateway.close(4000)
    await sandbox.inject_fault("resume_fail", account=0)
    await driver.gateway.open()
    await driver.gateway.resume()
    assert (await driver.gateway.wait(lambda f: f["op"] == 9))["d"] is False
    await driver.aclose()


async def test_rate_limit_burst_is_not_a_submission(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("rate_limit", account=0, count=2, retry_after=0.25)
    from tests.integration.sandbox.helpers import interaction_command

    payload = interaction_command(
        driver.account, "imagine", [{"type": 3, "name": "prompt", "value": "a fox"}]
    )
    statuses = []
    for _ in range(3):
        response = await driver.http.post("/interactions", json=payload)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.json()["retry_after"] == 0.25
            assert response.headers["x-ratelimit-remaining"] == "0"
    assert statuses == [429, 429, 204]
    assert sandbox.submissions.nonce_counts()[payload["nonce"]] == 1
    await driver.final(payload["nonce"])


async def test_prompt_flag_429_burst(sandbox: Sandbox, driver: Driver) -> None:
    await driver.final(await driver.imagine("a fox --sandbox-fault 429:2"))
    codes = [(await driver.http.get("/users/@me")).status_code for _ in range(3)]
    assert codes == [429, 429, 200]


async def test_natural_rate_limit_headers() -> None:
    async with start_sandbox(port=0, rate_limit=3) as sandbox:
        account = sandbox.accounts[0]
        headers = {"Authorization": account.token}
        async with http_client(base_url=f"{sandbox.base_url}/api/v10") as client:
            responses = [await client.get("/users/@me", headers=headers) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in responses[:3]] == ["2", "1", "0"]
    assert responses[3].json()["global"] is False
    assert float(responses[3].headers["x-ratelimit-reset-after"]) <= 1.0


async def test_server_error_fault(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("server_error", account=0, status=502)
    assert (await driver.http.get("/users/@me")).status_code == 502
    assert (await driver.http.get("/users/@me")).status_code == 200


async def test_ban_revokes_the_token(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("ban", account=0)
    assert await driver.gateway.wait_closed() == 4004
    assert (await driver.http.get("/users/@me")).status_code == 401
    await driver.gateway.open()
    await driver.gateway.send({"op": 2, "d": {"token": driver.account.token}})
    assert await driver.gateway.wait_closed() == 4004
    await sandbox.inject_fault("unban", account=0)
    assert (await driver.http.get("/users/@me")).status_code == 200


async def test_duplicate_dispatches(driver: Driver) -> None:
    nonce = await driver.imagine("a twin fox --sandbox-fault duplicate")
    final = await driver.final(nonce)
    await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_DELETE" and len(driver.gateway.dispatches(f["t"])) == 2
    )
    copies = [f for f in driver.gateway.dispatches("MESSAGE_CREATE") if f["d"]["id"] == final["id"]]
    assert (
        len(copies) == 2 and copies[0]["s"] != copies[1]["s"] and copies[0]["d"] == copies[1]["d"]
    )
    assert len(driver.gateway.dispatches("MESSAGE_UPDATE")) == 6


async def test_reorder_delivers_progress_after_the_final(driver: Driver) -> None:
    nonce = await driver.imagine("a jumbled fox --sandbox-fault reorder")
    final = await driver.final(nonce)
    await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and "78%" in f["d"]["content"]
    )
    events = [f["t"] for f in driver.gateway.dispatches() if f["t"].startswith("MESSAGE")]
    assert events == ["MESSAGE_CREATE", "MESSAGE_DELETE", "MESSAGE_CREATE", *["MESSAGE_UPDATE"] * 3]
    assert final["attachments"]


async def test_interaction_failure_and_silence(driver: Driver) -> None:
    nonce = await driver.imagine("a fox --sandbox-fault interaction_failure")
    failure = await driver.gateway.wait(lambda f: f.get("t") == "INTERACTION_FAILURE")
    assert failure["d"]["nonce"] == nonce and failure["d"]["reason_code"] == 2
    silent = await driver.imagine("a fox --sandbox-fault silent")
    await driver.gateway.wait(
        lambda f: f.get("t") == "INTERACTION_SUCCESS" and f["d"]["nonce"] == silent
    )
    await asyncio.sleep(0.1)
    assert not driver.gateway.dispatches("MESSAGE_CREATE")


async def test_stop_fault(driver: Driver) -> None:
    nonce = await driver.imagine("a fox --sandbox-fault stop")
    stopped = await driver.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_UPDATE" and f["d"]["content"].endswith("(Stopped)")
    )
    assert stopped["d"]["attachments"] == []
    with pytest.raises(TimeoutError):
        await driver.final(nonce, within=0.3)


@pytest.mark.parametrize(
    ("error", "title"),
    [
        ("banned_prompt", "Banned prompt detected"),
        ("invalid_parameter", "Invalid parameter"),
        ("queue_full", "Queue full"),
        ("pending_mod", "Pending mod message"),
        ("action_needed", "Action needed to continue"),
        ("credits_exhausted", "Credits exhausted"),
        ("action_restricted", "Job action restricted"),
        ("blocked", "Blocked"),
        ("invalid_link", "Invalid link"),
    ],
)
async def test_forced_bot_errors(sandbox: Sandbox, driver: Driver, error: str, title: str) -> None:
    await sandbox.inject_fault("error", account=0, error=error)
    nonce = await driver.imagine("a perfectly fine fox")
    reply = await driver.nonce_message(nonce)
    assert reply["flags"] == 64
    assert reply["embeds"][0]["title"] == title
    assert reply["embeds"][0]["color"] == 16711680


async def test_failed_content_error_by_flag(driver: Driver) -> None:
    reply = await driver.nonce_message(await driver.imagine("a fox --sandbox-fault error:failed"))
    assert reply["content"].startswith("Failed to process your command")


async def test_unknown_flag_is_an_invalid_parameter(driver: Driver) -> None:
    reply = await driver.nonce_message(await driver.imagine("a fox --sandbox-fault explode"))
    assert reply["embeds"][0]["title"] == "Invalid parameter"
    assert "explode" in reply["embeds"][0]["description"]


async def test_expired_uploads_are_refused(sandbox: Sandbox, driver: Driver) -> None:
    uploaded = await driver.upload(b"\x89PNG not really", "x.png")
    await sandbox.inject_fault("expire_uploads")
    from tests.integration.sandbox.helpers import interaction_command

    payload = interaction_command(
        driver.account, "describe", [{"type": 11, "name": "image", "value": 0}],
        [{"id": "0", "filename": "x.png", "uploaded_filename": uploaded}],
    )  # fmt: skip
    response = await driver.http.post("/interactions", json=payload)
    assert response.status_code == 400 and response.json()["code"] == 50035
    assert [s.status for s in sandbox.submissions.by_nonce(payload["nonce"])] == [400]


async def test_clear_undoes_account_faults(sandbox: Sandbox, driver: Driver) -> None:
    await sandbox.inject_fault("blocked", account=0)
    await sandbox.inject_fault("drop_final", account=0)
    await sandbox.inject_fault("clear", account=0)
    await driver.final(await driver.imagine("a free fox"))


async def test_fault_for_any_account_hits_the_next_job(sandbox: Sandbox, other: Driver) -> None:
    await sandbox.inject_fault("error", error="blocked")
    reply = await other.nonce_message(await other.imagine("a fox"))
    assert reply["embeds"][0]["title"] == "Blocked"


async def test_faults_ride_on_button_clicks(sandbox: Sandbox, driver: Driver) -> None:
    grid = await driver.final(await driver.imagine("a fox"))
    await sandbox.inject_fault("drop_final", account=0)
    nonce = await driver.click(grid, find_button(grid, "MJ::JOB::variation::1"))
    with pytest.raises(TimeoutError):
        await driver.final(nonce, within=0.4)
