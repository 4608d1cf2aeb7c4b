"""Holders of the embedded PostgreSQL that died without leaving are dropped before we join."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.embedded import _pgserver, forget_dead_holders, use_folder_lock


@pytest.fixture(autouse=True)
def _restore_pgserver_lock():
    """use_folder_lock changes pgserver's class-wide lock; this process's test server needs it."""
    server_class = _pgserver().PostgresServer
    saved = server_class._lock
    yield
    server_class._lock = saved


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_dead_holders_are_dropped_and_live_ones_kept(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    use_folder_lock(pgdata)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead, alive = _dead_pid(), holder.pid
        (pgdata / ".handle_pids.json").write_text(json.dumps([dead, alive, os.getpid()]))
        assert forget_dead_holders(pgdata) == [dead]
        assert json.loads((pgdata / ".handle_pids.json").read_text()) == [alive, os.getpid()]
        assert forget_dead_holders(pgdata) == []
    finally:
        holder.kill()
        holder.wait()


def test_a_reused_pid_of_another_program_is_not_a_holder(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    use_folder_lock(pgdata)
    other = subprocess.Popen(["sleep", "30"])
    try:
        (pgdata / ".handle_pids.json").write_text(json.dumps([other.pid, os.getpid()]))
        assert forget_dead_holders(pgdata) == [other.pid]
    finally:
        other.kill()
        other.wait()


def test_no_list_or_an_unreadable_one(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    use_folder_lock(pgdata)
    assert forget_dead_holders(pgdata) == []
    (pgdata / ".handle_pids.json").write_text("{not json")
    assert forget_dead_holders(pgdata) == []
    assert json.loads((pgdata / ".handle_pids.json").read_text()) == []
