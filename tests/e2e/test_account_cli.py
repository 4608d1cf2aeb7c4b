"""`mjrelay account …` as a user runs it, against a real database."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from tests.e2e.processes import Completed, run
from tests.fixtures import API_FIXTURES

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GabcDE.fake-token-for-tests-only-0123456789"
FIXTURES = API_FIXTURES


def _mjrelay(database_url: str, *args: str, stdin: str = "") -> Completed:
    return run("account", *args, stdin=stdin, DATABASE_URL=database_url, MJRELAY_LOG_LEVEL="debug")


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


def test_account_list_shows_the_mode_and_fast_time_midjourney_reported(database_url: str) -> None:
    added = _mjrelay(
        database_url, "add", "--guild-id", "1", "--channel-id", "2", "--name", "n",
        "--token-stdin", stdin="t\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    # What the worker stores from /info and /settings (docs/accounts.md).
    asyncio.run(
        _execute(
            database_url,
            "UPDATE accounts SET job_mode = 'relax', remix = true, fast_minutes_left = 0,"
            " fast_exhausted = true, fast_time_remaining = '0.00/15.0 hours (0.00%)',"
            " subscription = 'Basic (Active monthly)', state_read_at = now()",
        )
    )
    _, row = _mjrelay(database_url, "list").stdout.splitlines()
    assert row.split()[3:10] == ["relax", "0.00/15.0", "hours", "(0.00%)", "exhausted", "on", "3"]
    [account] = json.loads(_mjrelay(database_url, "list", "--json").stdout)
    assert (account["mode"], account["job_mode"], account["remix"]) == ("fast", "relax", True)
    assert account["fast_time_remaining"] == "0.00/15.0 hours (0.00%)"
    assert account["fast_exhausted"] is True and account["fast_minutes_left"] == 0
    assert account["subscription"] == "Basic (Active monthly)" and account["state_read_at"]


def test_account_list_shows_nijis_own_mode_and_remix(database_url: str) -> None:
    added = _mjrelay(
        database_url, "add", "--guild-id", "1", "--channel-id", "2", "--token-stdin", stdin="t\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    asyncio.run(
        _execute(
            database_url,
            "UPDATE accounts SET bots = ARRAY['mj', 'niji'], job_mode = 'fast', remix = false,"
            " niji_job_mode = 'relax', niji_remix = true",
        )
    )
    _, row = _mjrelay(database_url, "list").stdout.splitlines()
    assert "fast niji:relax" in row and "off niji:on" in row
    [account] = json.loads(_mjrelay(database_url, "list", "--json").stdout)
    assert (account["niji_job_mode"], account["niji_remix"]) == ("relax", True)


async def _execute(database_url: str, statement: str) -> None:
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


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


def _fresh(data_dir: Path, *args: str, stdin: str = "") -> Completed:
    """`mjrelay …` as a new user runs it: no DATABASE_URL, a data folder never used before."""
    return run(*args, stdin=stdin, timeout=120, MJRELAY_DATA_DIR=str(data_dir))


def test_account_commands_on_a_fresh_data_folder_create_the_schema(data_dir: Path) -> None:
    listed = _fresh(data_dir, "account", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("no accounts"), listed.stdout
    assert "Traceback" not in listed.stderr and listed.stderr == "", listed.stderr

    added = _fresh(
        data_dir, "account", "add", "--guild-id", "1200000000000000001",
        "--channel-id", "1200000000000000002", "--name", "main", "--token-stdin",
        stdin=TOKEN + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = _fresh(data_dir, "account", "list")
    header, row = listed.stdout.splitlines()
    assert header.split() == [
        "ID", "NAME", "BOTS", "MODE", "FAST", "TIME", "REMIX", "CAP", "STATE", "HEALTH"
    ]  # fmt: skip
    assert row.split() == [
        "1200000000000000002", "main", "mj", "fast*", "-", "-", "3", "enabled", "ok"
    ]  # fmt: skip
    # The same folder `mjrelay up` uses: its migration finds the schema current.
    migrated = _fresh(data_dir, "migrate")
    assert migrated.returncode == 0 and migrated.stdout.startswith("database at revision")


def test_account_list_on_an_unmigrated_database_says_what_to_do(empty_database_url: str) -> None:
    result = _mjrelay(empty_database_url, "list")
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = [x for x in result.stderr.splitlines() if not x.startswith("{")]
    assert line.startswith("mjrelay: error: the database schema is at nothing, expected ")
    assert line.endswith("run `mjrelay migrate` first")


def test_command_output_is_stdout_and_logs_are_stderr(database_url: str) -> None:
    """Debug logging on: every log line goes to stderr; stdout holds the command's output."""
    added = _mjrelay(
        database_url, "add", "--guild-id", "1", "--channel-id", "2", "--name", "n",
        "--token-stdin", stdin="t\n",
    )  # fmt: skip
    listed = _mjrelay(database_url, "list")
    as_json = _mjrelay(database_url, "list", "--json")
    for result in (added, listed, as_json):
        assert result.returncode == 0, result.stderr
        assert '"level"' in result.stderr  # debug logs were written, to stderr
        assert '"level"' not in result.stdout and '"logger"' not in result.stdout
    assert added.stdout == "account 2 saved\n"
    assert listed.stdout.splitlines()[0].startswith("ID")
    assert json.loads(as_json.stdout)[0]["name"] == "n"


def test_help_shows_flags_as_flags() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s+--version\s+Show the version and exit\.$", result.stdout, re.M)
    assert "<bool>" not in result.stdout
    nested = run("account", "list", "--help")
    assert nested.returncode == 0, nested.stderr
    assert re.search(r"^\s+--json\s+Print JSON\.$", nested.stdout, re.M), nested.stdout
