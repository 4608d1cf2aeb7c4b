"""The REST calls self-bot clients make besides interactions, and a client that only polls REST."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import pytest

from app.sandbox import Sandbox, start_sandbox
from app.sandbox.speed import Speed
from tests.integration.sandbox.helpers import Driver, http_client, interaction_command
from tests.integration.sandbox.shapes import assert_shape, fixture

Json = dict[str, Any]
REST = fixture("rest-guild-channel.response.json")
MJ = "936929561302675456"
UNKNOWN = "1299999999999999999"  # a snowflake nothing in the sandbox has


async def get(driver: Driver, path: str, expect: int = 200, **params: Any) -> Any:
    response = await driver.http.get(path, params=params)
    assert response.status_code == expect, response.text
    return response.json()


async def test_channel_guild_and_member_objects_match_the_fixture(driver: Driver) -> None:
    account = driver.account
    channel = await get(driver, f"/channels/{account.channel_id}")
    assert_shape(channel, REST["channel"], frozenset({"last_message_id"}))
    assert (channel["id"], channel["guild_id"]) == (account.channel_id, account.guild_id)
    guild = await get(driver, f"/guilds/{account.guild_id}")
    assert_shape(guild, REST["guild"])
    assert guild["id"] == account.guild_id
    mine = await get(driver, "/users/@me/guilds")
    assert_shape(mine, REST["current_user_guilds"])
    assert [g["id"] for g in mine] == [account.guild_id]
    channels = await get(driver, f"/guilds/{account.guild_id}/channels")
    assert_shape(channels, REST["guild_channels"], frozenset({"last_message_id"}))
    assert account.channel_id in {c["id"] for c in channels}
    member = await get(driver, f"/guilds/{account.guild_id}/members/{account.user_id}")
    assert_shape(member, REST["guild_member"])
    assert member["user"]["id"] == account.user_id
    bot = await get(driver, f"/guilds/{account.guild_id}/members/{MJ}")
    assert bot["user"]["bot"] is True
    me = await get(driver, f"/users/@me/guilds/{account.guild_id}/member")
    assert me["user"]["id"] == account.user_id
    assert (await get(driver, f"/users/{MJ}"))["username"] == "Midjourney Bot"


async def test_last_message_id_follows_the_channel(driver: Driver) -> None:
    path = f"/channels/{driver.account.channel_id}"
    assert (await get(driver, path))["last_message_id"] is None
    final = await driver.final(await driver.imagine("a last fox"))
    assert (await get(driver, path))["last_message_id"] == final["id"]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (f"/channels/{UNKNOWN}", "404_unknown_channel"),
        (f"/channels/{UNKNOWN}/messages", "404_unknown_channel"),
        (f"/guilds/{UNKNOWN}", "404_unknown_guild"),
        (f"/guilds/{UNKNOWN}/channels", "404_unknown_guild"),
        (f"/guilds/{UNKNOWN}/messages/search", "404_unknown_guild"),
        (f"/users/{UNKNOWN}", "404_unknown_user"),
        ("/channels/abc", "400_not_snowflake"),
    ],
)
async def test_unknown_ids_get_discords_error_bodies(driver: Driver, path: str, error: str) -> None:
    expected = REST["errors"][error]
    status = int(error.split("_")[0])
    assert await get(driver, path, expect=status) == expected


async def test_unknown_member_and_message(driver: Driver) -> None:
    guild, channel = driver.account.guild_id, driver.account.channel_id
    member = await get(driver, f"/guilds/{guild}/members/{UNKNOWN}", expect=404)
    assert member == REST["errors"]["404_unknown_member"]
    message = await get(driver, f"/channels/{channel}/messages/{UNKNOWN}", expect=404)
    assert message == REST["errors"]["404_unknown_message"]
    bad = await get(driver, f"/channels/{channel}/messages", expect=400, around="x")
    assert bad["code"] == 50035 and "around" in bad["errors"]


async def post_messages(driver: Driver, count: int) -> list[str]:
    ids = []
    for n in range(count):
        response = await driver.http.post(
            f"/channels/{driver.account.channel_id}/messages", json={"content": f"note {n}"}
        )
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


async def test_history_before_after_around_and_limit(driver: Driver) -> None:
    ids = await post_messages(driver, 5)
    path = f"/channels/{driver.account.channel_id}/messages"

    async def page(**params: Any) -> list[str]:
        return [m["id"] for m in await get(driver, path, **params)]

    assert await page(limit=2) == [ids[4], ids[3]]
    assert await page(before=ids[2]) == [ids[1], ids[0]]
    assert await page(after=ids[2]) == [ids[4], ids[3]]
    assert await page(around=ids[2], limit=3) == [ids[3], ids[2], ids[1]]
    assert await page(around=ids[0], limit=4) == [ids[1], ids[0]]
    assert await page(around=ids[4], limit=1) == [ids[4]]


async def test_search_filters_pages_and_matches_the_fixture(driver: Driver) -> None:
    await post_messages(driver, 3)
    final = await driver.final(await driver.imagine("a searchable heron"))
    path = f"/guilds/{driver.account.guild_id}/messages/search"
    found = await get(driver, path, content="HERON", author_id=MJ, has="attachment")
    assert_shape(found, REST["message_search"])
    assert found["total_results"] == 1 and found["messages"][0][0]["id"] == final["id"]
    done = fixture("mj-imagine-done.message_create.json")["d"]
    assert_shape(found["messages"][0][0], done, frozenset({"edited_timestamp"}))
    notes = await get(driver, path, content="note", limit=2, sort_order="asc")
    assert notes["total_results"] == 3
    assert [hit[0]["content"] for hit in notes["messages"]] == ["note 0", "note 1"]
    rest = await get(driver, path, content="note", limit=2, offset=2, sort_order="asc")
    assert [hit[0]["content"] for hit in rest["messages"]] == ["note 2"]
    channel_path = f"/channels/{driver.account.channel_id}/messages/search"
    assert (await get(driver, channel_path, content="note"))["total_results"] == 3
    assert (await get(driver, path, limit=26, expect=400))["code"] == 50035
    assert (await get(driver, path, has="nothing", expect=400))["code"] == 50035
    assert (await get(driver, path, author_id="me", expect=400))["code"] == 50035


async def poll(driver: Driver, match: Any, after: str, within: float = 15) -> Json:
    """What a REST-only client does: read the channel until a message matches."""
    path = f"/channels/{driver.account.channel_id}/messages"
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in await get(driver, path, after=after, limit=50):
            if match(message):
                return message
        await asyncio.sleep(0.05)
    raise AssertionError("no matching message in the channel")


async def test_a_rest_only_client_imagines_and_upscales_by_polling(sandbox: Sandbox) -> None:
    account = sandbox.accounts[0]
    client = Driver(sandbox.base_url, sandbox.gateway_url, account)  # its gateway never opens
    try:
        channel = await get(client, f"/channels/{account.channel_id}")
        assert channel["guild_id"] == account.guild_id
        index = await get(client, f"/guilds/{channel['guild_id']}/application-command-index")
        imagine = next(
            c for c in index["application_commands"]
            if c["application_id"] == MJ and c["name"] == "imagine"
        )  # fmt: skip
        never_issued = secrets.token_hex(16)
        payload = interaction_command(
            account, "imagine", [{"type": 3, "name": "prompt", "value": "a polled fox"}],
            command=(imagine["id"], imagine["version"]),
        )  # fmt: skip
        payload.update(guild_id=channel["guild_id"], session_id=never_issued)
        await client.post_interaction(payload)
        grid = await poll(
            client,
            lambda m: m["author"]["id"] == MJ and m["content"].startswith("**a polled fox**")
            and "%)" not in m["content"] and m["content"].endswith("(fast)"),  # not progress
            after="0",
        )  # fmt: skip
        upscale = next(
            c["custom_id"] for row in grid["components"] for c in row["components"]
            if c.get("custom_id", "").startswith("MJ::JOB::upsample::1::")
        )  # fmt: skip
        click = {
            "type": 3, "application_id": MJ, "guild_id": account.guild_id,
            "channel_id": account.channel_id, "message_id": grid["id"], "message_flags": 0,
            "session_id": never_issued, "nonce": "1300000000000009999",
            "data": {"component_type": 2, "custom_id": upscale},
        }  # fmt: skip
        await client.post_interaction(click)
        single = await poll(
            client,
            lambda m: m.get("message_reference", {}).get("message_id") == grid["id"],
            after=grid["id"],
        )
        assert "Image #1" in single["content"] and single["attachments"]
    finally:
        await client.aclose()


async def test_an_interaction_without_any_gateway_session_is_accepted(sandbox: Sandbox) -> None:
    account = sandbox.accounts[1]
    async with http_client(
        base_url=f"{sandbox.base_url}/api/v9", headers={"Authorization": account.token}
    ) as http:
        payload = interaction_command(account, "info", [])
        payload["session_id"] = secrets.token_hex(16)
        response = await http.post("/interactions", json=payload)
        assert response.status_code == 204


# Pauses long enough to measure: fast jobs sleep 5 x 0.05 s, relax ones 10x that.
MEASURED = Speed("measured", 0.05, 0.05, 0.05, (15, 46, 78), 0.0, 10.0)


async def test_relax_jobs_run_slower_than_fast_ones() -> None:
    async with start_sandbox(port=0, accounts=1, speed=MEASURED, seed=3) as sandbox:
        driver = Driver(sandbox.base_url, sandbox.gateway_url, sandbox.accounts[0])
        await driver.gateway.connect()
        try:
            began = time.monotonic()
            await driver.final(await driver.imagine("a quick fox"), within=30)
            fast = time.monotonic() - began
            relax = interaction_command(driver.account, "relax", [])
            await driver.post_interaction(relax)
            await driver.nonce_message(relax["nonce"])
            began = time.monotonic()
            final = await driver.final(await driver.imagine("a slow fox"), within=30)
            relaxed = time.monotonic() - began
        finally:
            await driver.aclose()
    assert final["content"].endswith("(relaxed)")
    assert relaxed >= 5 * 0.05 * 10  # its pauses alone: a lower bound, whatever the load
    assert relaxed > fast  # same rendering work, 2.25 s more sleeping


async def test_a_client_hanging_up_mid_body_logs_no_traceback(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # A worker stopping while it posts an interaction: the body never arrives in full.
    host, port = sandbox.base_url.split("//")[1].split("/")[0].split(":")
    token = sandbox.accounts[0].token
    _reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/v9/interactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: {token}\r\nContent-Length: 1000\r\n\r\n".encode()
        + b'{"type": 2'
    )
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.3)  # the server notices the hang-up and finishes the request
    assert not [r for r in caplog.records if r.exc_info], caplog.text
