"""`mjrelay sandbox` runs standalone, prints its accounts, and stops cleanly on Ctrl+C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

from app.sandbox.accounts import SandboxAccount
from tests.integration.sandbox.helpers import Driver, http_client


async def test_cli_sandbox_serves_and_stops() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from app.cli import main; main()",
        "sandbox", "--port", "0", "--accounts", "3", "--speed", "instant", "--seed", "5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        base_url = re.search(r"on (http://127\.0\.0\.1:\d+)", first).group(1)  # type: ignore[union-attr]
        lines = [(await process.stdout.readline()).decode() for _ in range(4)]
        tokens = re.findall(r"token=(\S+)", "".join(lines))
        async with http_client(base_url=base_url) as client:
            listed = (await client.get("/_sandbox/accounts")).json()["accounts"]
            me = await client.get("/api/v9/users/@me", headers={"Authorization": tokens[0]})
        assert [a["token"] for a in listed] == tokens and len(tokens) == 3
        assert me.json()["username"] == "sandbox1"
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 10)
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    assert code == 0, stderr
    assert "Traceback" not in stderr


async def test_cli_sandbox_stops_within_the_bound_while_drawing_a_huge_prompt() -> None:
    """A job whose drawing takes minutes (a 2 MB prompt) does not hold Ctrl-C."""
    env = {**os.environ, "MJRELAY_SHUTDOWN_GRACE_S": "3"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from app.cli import main; main()",
        "sandbox", "--port", "0", "--accounts", "1", "--speed", "fast",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        base_url = re.search(r"on (http://127\.0\.0\.1:\d+)", first).group(1)  # type: ignore[union-attr]
        async with http_client(base_url=base_url) as client:
            listed = (await client.get("/_sandbox/accounts")).json()
        found = listed["accounts"][0]
        account = SandboxAccount(**found, global_name=found["username"])
        driver = Driver(base_url, listed["gateway_url"], account)
        await driver.gateway.connect()
        try:
            nonce = await driver.imagine("a red fox in the snow " * 100_000)
            await driver.interaction_id(nonce)
            await asyncio.sleep(2)  # the bot has started the job and is drawing it
        finally:
            await driver.aclose()
    finally:
        process.send_signal(signal.SIGINT)
        started = asyncio.get_running_loop().time()
        try:
            code = await asyncio.wait_for(process.wait(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        elapsed = asyncio.get_running_loop().time() - started
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    assert elapsed < 3 + 6, (elapsed, stderr[-2000:])
    assert code in (0, 1), stderr[-2000:]
    assert "Traceback" not in stderr
