"""The CLI as a user runs it: a configuration error prints no secret on stdout or stderr."""

from __future__ import annotations

import json
import signal
import time

import httpx
import pytest

from tests.e2e.processes import free_port, killed_in_the_end, output_of, run, start

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
OTHER_TOKEN = "plain-token-without-discord-shape-42"
KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


ACCOUNTS = json.dumps(
    [
        {"token": TOKEN, "guild_id": "1", "channel_id": "2", "mode": "hyper"},
        {"token": OTHER_TOKEN, "guild_id": "1", "channel_id": "3"},
    ]
)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("MJRELAY_ACCOUNTS", ACCOUNTS, id="accounts-bad-mode"),
        pytest.param("MJRELAY_WEBHOOK_SECRET", f"{KEY},whsec_second-key*", id="webhook-secret"),
    ],
)
@pytest.mark.parametrize("command", ["worker", "web"])
def test_a_config_error_prints_no_secret(command: str, variable: str, value: str) -> None:
    result = run(command, **{variable: value})
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert output.startswith(f"mjrelay: error: {variable}")
    for secret in (TOKEN, OTHER_TOKEN, "abcdefghijklmnop", KEY, "MfKQ9r8G", "second-key"):
        assert secret not in output
    assert "Traceback" not in output


def _web_output_until_ready(env: dict[str, str], port: int) -> str:
    """Start `mjrelay web`, wait until /readyz answers, stop it; its whole output."""
    with killed_in_the_end(start("web", **env)) as process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    return output_of(process)


@pytest.mark.parametrize(("secret", "warned"), [("", True), ("an-api-secret", False)])
def test_web_on_all_interfaces_without_a_secret_warns_loudly(
    database_url: str, secret: str, warned: bool
) -> None:
    port = free_port()
    env = {
        "PORT": str(port),
        "MJRELAY_HOST": "0.0.0.0",
        "DATABASE_URL": database_url,
        "MJRELAY_API_SECRET": secret,
    }
    output = _web_output_until_ready(env, port)
    warnings = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and "NO SECRET IS SET" in line
    ]
    assert bool(warnings) is warned, output
    if warned:
        assert warnings[0]["level"] == "warning" and "0.0.0.0" in warnings[0]["message"]
    assert secret == "" or secret not in output
