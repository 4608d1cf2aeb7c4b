"""Gateway behaviour: handshake errors, heartbeats, compression, resume and replay."""

from __future__ import annotations

import asyncio
import json
import zlib

import pytest
import websockets

from app.sandbox import Sandbox, start_sandbox
from tests.integration.sandbox.helpers import Driver, GatewayClient, http_client


async def test_gateway_url_endpoints(sandbox: Sandbox) -> None:
    async with http_client(base_url=sandbox.base_url) as client:
        for version in (9, 10):
            response = await client.get(f"/api/v{version}/gateway")
            assert response.json() == {"url": sandbox.gateway_url}
    assert sandbox.gateway_url.startswith("ws://127.0.0.1:")
    assert sandbox.base_url.replace("http", "ws") == sandbox.gateway_url


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([{"op": 2, "d": {"token": "bad-token"}}], 4004),
        ([{"op": 3, "d": {"status": "online"}}], 4003),
        (["not json"], 4002),
    ],
    ids=["bad-token", "before-identify", "decode-error"],
)
async def test_handshake_close_codes(sandbox: Sandbox, frames: list, code: int) -> None:
    client = GatewayClient(sandbox.gateway_url, "")
    await client.open()
    for frame in frames:
        await client._ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    assert await client.wait_closed() == code


async def test_double_identify_and_unknown_opcode(sandbox: Sandbox) -> None:
    token = sandbox.accounts[0].token
    client = GatewayClient(sandbox.gateway_url, token)
    await client.connect()
    await client.send({"op": 2, "d": {"token": token}})
    assert await client.wait_closed() == 4005
    client = GatewayClient(sandbox.gateway_url, token)
    await client.connect()
    await client.send({"op": 99, "d": None})
    assert await client.wait_closed() == 4001


async def test_heartbeat_ack_and_server_heartbeat_request(sandbox: Sandbox) -> None:
    client = GatewayClient(sandbox.gateway_url, sandbox.accounts[0].token)
    hello = await client.open()
    assert hello["d"]["heartbeat_interval"] == 41250
    await client.send({"op": 1, "d": None})  # allowed before IDENTIFY
    await client.wait(lambda f: f["op"] == 11)
    await client.identify()
    await sandbox.inject_fault("heartbeat_request", account=0)
    assert (await client.wait(lambda f: f["op"] == 1))["d"] is None
    await sandbox.inject_fault("withhold_ack", account=0, count=1)
    start = len(client.frames)
    await client.send({"op": 1, "d": client.seq})
    await client.send({"op": 1, "d": client.seq})
    await client.wait(lambda f: f["op"] == 11, start=start)
    assert sum(1 for f in client.frames[start:] if f["op"] == 11) == 1
    await client.close()


async def test_missing_heartbeats_time_the_session_out() -> None:
    async with start_sandbox(port=0, heartbeat_interval_ms=250) as sandbox:
        client = GatewayClient(sandbox.gateway_url, sandbox.accounts[0].token)
        hello = await client.open()
        assert hello["d"]["heartbeat_interval"] == 250
        await client.identify()
        assert await client.wait_closed(within=2) == 4009
        again = GatewayClient(sandbox.gateway_url, client.token)
        await again.open()
        await again.send({"op": 6, "d": {"token": client.token, "session_id": client.session_id,
                                         "seq": client.seq}})  # fmt: skip
        assert (await again.wait(lambda f: f["op"] == 9))["d"] is False  # 4009: new session
        await again.close()


async def test_zlib_stream_compression(sandbox: Sandbox) -> None:
    async with websockets.connect(
        f"{sandbox.gateway_url}?v=9&encoding=json&compress=zlib-stream", compression=None
    ) as ws:
        inflate = zlib.decompressobj()
        hello = await ws.recv()
        assert isinstance(hello, bytes) and hello.endswith(b"\x00\x00\xff\xff")
        assert json.loads(inflate.decompress(hello))["op"] == 10
        await ws.send(json.dumps({"op": 2, "d": {"token": sandbox.accounts[0].token}}))
        ready = await ws.recv()
        assert isinstance(ready, bytes) and ready.endswith(b"\x00\x00\xff\xff")
        assert json.loads(inflate.decompress(ready))["t"] == "READY"  # one shared context


async def test_permessage_deflate_is_not_negotiated(sandbox: Sandbox) -> None:
    async with websockets.connect(f"{sandbox.gateway_url}/?v=9&encoding=json") as ws:
        assert not ws.response.headers.get("Sec-WebSocket-Extensions")


async def test_resume_replays_missed_dispatches(sandbox: Sandbox, driver: Driver) -> None:
    gateway = driver.gateway
    seq_before = gateway.seq
    await sandbox.inject_fault("disconnect", account=0, code=4000)
    assert await gateway.wait_closed() == 4000
    nonce = await driver.imagine("a fox while offline")  # dispatched while disconnected
    await wait_for_final_in_history(driver)  # the job finished while we were away
    await gateway.open()
    start = len(gateway.frames)
    gateway.seq = seq_before
    await gateway.resume()
    resumed = await gateway.wait(lambda f: f.get("t") == "RESUMED", start=start)
    replayed = gateway.frames[start : gateway.frames.index(resumed)]
    assert [f["s"] for f in replayed] == list(range(seq_before + 1, resumed["s"]))
    events = [f["t"] for f in replayed]
    assert events[:2] == ["INTERACTION_CREATE", "INTERACTION_SUCCESS"]
    assert "MESSAGE_DELETE" in events
    final = await driver.final(nonce)
    assert final["attachments"]


async def wait_for_final_in_history(driver: Driver) -> None:
    url = f"/channels/{driver.account.channel_id}/messages"

    async def has_final() -> bool:
        history = (await driver.http.get(url)).json()
        return any("MJ::JOB::upsample::" in json.dumps(m["components"]) for m in history)

    async with asyncio.timeout(10):
        while not await has_final():  # noqa: ASYNC110 (polling REST on purpose)
            await asyncio.sleep(0.02)


async def test_resume_of_unknown_or_invalidated_session_gets_op9(sandbox: Sandbox) -> None:
    token = sandbox.accounts[0].token
    client = GatewayClient(sandbox.gateway_url, token)
    await client.open()
    await client.send({"op": 6, "d": {"token": token, "session_id": "nope", "seq": 1}})
    assert (await client.wait(lambda f: f["op"] == 9))["d"] is False
    await client.close()
    first = GatewayClient(sandbox.gateway_url, token)
    await first.connect()
    await first.close(1000)  # a normal close invalidates the session
    again = GatewayClient(sandbox.gateway_url, token)
    await again.open()
    await again.send({"op": 6, "d": {"token": token, "session_id": first.session_id, "seq": 1}})
    assert (await again.wait(lambda f: f["op"] == 9))["d"] is False
    await again.close()


async def test_resume_with_seq_ahead_is_refused(sandbox: Sandbox) -> None:
    token = sandbox.accounts[0].token
    first = GatewayClient(sandbox.gateway_url, token)
    await first.connect()
    await first.close(4000)
    again = GatewayClient(sandbox.gateway_url, token)
    await again.open()
    await again.send({"op": 6, "d": {"token": token, "session_id": first.session_id, "seq": 99}})
    assert (await again.wait(lambda f: f["op"] == 9))["d"] is False
    await again.close()


async def test_interaction_events_prefer_the_named_session(sandbox: Sandbox) -> None:
    account = sandbox.accounts[0]
    one = Driver(sandbox.base_url, sandbox.gateway_url, account)
    two = GatewayClient(sandbox.gateway_url, account.token)
    await one.gateway.connect()
    await two.connect()
    from tests.integration.sandbox.helpers import interaction_command

    payload = interaction_command(account, "imagine", [{"type": 3, "name": "prompt", "value": "x"}])
    payload["session_id"] = one.gateway.session_id
    await one.post_interaction(payload)
    await one.final(payload["nonce"])
    await two.wait(lambda f: f.get("t") == "MESSAGE_DELETE")  # channel messages reach both
    assert not two.dispatches("INTERACTION_CREATE")  # interaction events only the named one
    await two.close()
    await one.aclose()


async def test_other_accounts_see_guild_messages_but_not_ephemeral(
    driver: Driver, other: Driver
) -> None:
    nonce = await driver.imagine("a shared fox")
    final = await driver.final(nonce)
    seen = await other.gateway.wait(
        lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"]["id"] == final["id"]
    )
    assert seen["d"]["channel_id"] == driver.account.channel_id != other.account.channel_id
    banned = await driver.imagine("blood moon")
    await driver.nonce_message(banned)
    await asyncio.sleep(0.05)
    assert not [
        f for f in other.gateway.dispatches("MESSAGE_CREATE") if f["d"].get("nonce") == banned
    ]
