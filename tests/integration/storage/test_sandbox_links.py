"""`mjrelay sandbox --link-ttl`: its CDN links expire, and `POST /attachments/refresh-urls`
signs them again (only for the account's token), as Discord does."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import httpx

from tests.integration.storage.test_lifecycle import PNG


async def test_sandbox_links_expire_and_are_re_signed() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "sandbox", "--port", "0", "--accounts", "1",
        "--speed", "instant", "--link-ttl", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        base = re.search(r"on (http://127\.0\.0\.1:\d+)", first).group(1)  # type: ignore[union-attr]
        lines = "".join([(await process.stdout.readline()).decode() for _ in range(2)])
        token = re.search(r"token=(\S+)", lines).group(1)  # type: ignore[union-attr]
        channel = re.search(r"channel_id=(\d+)", lines).group(1)  # type: ignore[union-attr]
        auth = {"Authorization": token}
        async with httpx.AsyncClient(base_url=base) as client:
            posted = await client.post(
                f"/api/v9/channels/{channel}/messages",
                headers=auth,
                files={"files[0]": ("cat.png", PNG, "image/png")},
            )
            url = posted.json()["attachments"][0]["url"]
            fresh = await client.get(url)
            await asyncio.sleep(1.6)
            expired = await client.get(url)
            body = {"attachment_urls": [url, "https://example.com/x.png"]}
            refused = await client.post("/api/v9/attachments/refresh-urls", json=body)
            refreshed = await client.post(
                "/api/v9/attachments/refresh-urls", json=body, headers=auth
            )
            entries = refreshed.json()["refreshed_urls"]
            again = await client.get(entries[0]["refreshed"])
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10)
    assert fresh.status_code == 200 and fresh.content == PNG
    assert expired.status_code == 404
    assert refused.status_code == 401
    assert [e["original"] for e in entries] == [url]  # a foreign URL is left out
    assert entries[0]["refreshed"] != url
    assert again.status_code == 200 and again.content == PNG
