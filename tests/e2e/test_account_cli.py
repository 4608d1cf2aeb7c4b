"""`mjrelay account …` as a user runs it, against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures import API_FIXTURES

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GabcDE.fake-token-for-tests-only-0123456789"
FIXTURES = API_FIXTURES


def _mjrelay(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJRELAY_")}
    env.update(DATABASE_URL=database_url, MJRELAY_LOG_FORMAT="json", MJRELAY_LOG_LEVEL="debug")
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "account", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_account_add_list_disable_enable_never_shows_token(database_url: str) -> None:
    added = _mjrelay(
        database_url,
        "add",
        "--guild-id", "1200000000000000001",
        "--channel-id", "1200000000000000002",
        "--name", "main",
        "--concurrency", "2",
        "--token-stdin",
        stdin=TOKEN + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "account 1200000000000000002 saved" in added.stdout

    listed = _mjrelay(database_url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [account] = json.loads(listed.stdout)
    assert account["name"] == "main"
    assert account["concurrency"] == 2
    assert account["health"] == "ok"

    assert _mjrelay(database_url, "disable", "1200000000000000002").returncode == 0
    assert json.loads(_mjrelay(database_url, "list", "--json").stdout)[0]["enabled"] is False
    assert _mjrelay(database_url, "enable", "1200000000000000002").returncode == 0
    plain = _mjrelay(database_url, "list")
    assert "enabled" in plain.stdout

    for result in (added, listed, plain):
        assert TOKEN not in result.stdout + result.stderr
        assert "fake-token-for-tests" not in result.stdout + result.stderr


def test_account_disable_unknown_fails(database_url: str) -> None:
    result = _mjrelay(database_url, "disable", "nope")
    assert result.returncode == 1
    assert "no account 'nope'" in result.stderr


def test_account_add_rejects_bad_ids(database_url: str) -> None:
    result = _mjrelay(
        database_url, "add", "--guild-id", "abc", "--channel-id", "2", "--token-stdin", stdin="t\n"
    )
    assert result.returncode == 2
    assert "digits" in result.stderr
    assert json.loads(_mjrelay(database_url, "list", "--json").stdout) == []


def test_account_import_discordxy_config(database_url: str, tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "discordxy.config.json").read_text())
    first = data["discord"]["accounts"][0]
    first["user-token"] = TOKEN
    for number, action in enumerate(first["action"]):
        action["guild-id"] = "1200000000000000001"
        action["channel-id"] = f"12000000000000000{10 + number}"
    config = tmp_path / "config.json"
    config.write_text(json.dumps(data))

    result = _mjrelay(database_url, "import", str(config))
    assert result.returncode == 0, result.stderr
    assert "imported 2 account(s)" in result.stdout
    accounts = json.loads(_mjrelay(database_url, "list", "--json").stdout)
    assert [(a["bots"], a["concurrency"]) for a in accounts] == [(["mj"], 3), (["pika"], 2)]
    assert TOKEN not in result.stdout + result.stderr
