"""The CLI as a user runs it: a configuration error prints no secret on stdout or stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

MJRELAY = [sys.executable, "-m", "app.cli"]
TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
OTHER_TOKEN = "plain-token-without-discord-shape-42"
KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJRELAY_")}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


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
    result = subprocess.run(
        [*MJRELAY, command], capture_output=True, text=True, env=_env(**{variable: value})
    )
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert output.startswith(f"mjrelay: error: {variable}")
    for secret in (TOKEN, OTHER_TOKEN, "abcdefghijklmnop", KEY, "MfKQ9r8G", "second-key"):
        assert secret not in output
    assert "Traceback" not in output
