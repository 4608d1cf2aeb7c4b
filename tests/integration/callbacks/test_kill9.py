"""Crash safety: kill -9 dispatcher processes at random points; no callback may go missing.

Real subprocesses (`mjrelay callbacks`), two at a time, against one database. 1,000 tasks'
deliveries (two per task) are inserted up front; the test SIGKILLs a random dispatcher every
fraction of a second and starts a replacement, then lets the last ones finish. Every delivery must
reach the receiver at least once; a duplicate (sent, then killed before its result was committed)
must carry the same webhook-id and body; every request must verify with `standardwebhooks`; and
each task's sequence numbers must never go backwards.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from tests.integration.callbacks.helpers import Received, Reply, delivery_rows

TASKS = 1000
PER_TASK = 2
TOTAL = TASKS * PER_TASK
ROOT = Path(__file__).resolve().parents[3]
MAX_KILLS = int(os.environ.get("MJRELAY_TEST_KILLS", "10"))


async def insert_outbox(engine, url: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action)"
                " SELECT 'k-' || g, 'webman', 'IMAGINE' FROM generate_series(1, :n) g"
            ),
            {"n": TASKS},
        )
        await conn.execute(
            text(
                """
                INSERT INTO deliveries (task_id, seq, webhook_id, url, dialect, payload)
                SELECT 'k-' || g, s, 'msg_' || md5('k-' || g || '/' || s), :url, 'webman',
                       convert_to(json_build_object('id', 'k-' || g, 'seq', s,
                                                    'prompt', 'a café ☕')::text, 'UTF8')
                FROM generate_series(1, :n) g, generate_series(1, :per) s
                """
            ),
            {"n": TASKS, "per": PER_TASK, "url": url},
        )


async def claims_held(engine, pid: int) -> bool:
    """Whether dispatcher `pid` has a transaction open (a claimed delivery in flight)."""
    async with engine.connect() as conn:
        return bool(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = :name AND xact_start IS NOT NULL"
                ),
                {"name": f"mjrelay-callbacks/{pid}"},
            )
        )


async def delivered_count(engine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT count(*) FROM deliveries WHERE status='delivered'"))


class Fleet:
    """Dispatcher subprocesses; stderr of each goes to a file for post-mortems."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: list[asyncio.subprocess.Process] = []
        self.started = 0

    async def start(self) -> None:
        self.started += 1
        path = self.logs / f"dispatcher-{self.started}.log"
        log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "app.cli", "callbacks",
                cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
        finally:
            os.close(log)
        self.procs.append(proc)

    async def kill_one(self, rng: random.Random, engine) -> bool:
        """SIGKILL a random dispatcher, preferably while it holds claimed deliveries (waiting up
        to 1 s for that); True when it held some at the moment of the kill."""
        proc = self.procs.pop(rng.randrange(len(self.procs)))
        busy = False
        deadline = time.monotonic() + 1.0
        while not busy and time.monotonic() < deadline:
            busy = await claims_held(engine, proc.pid)
            if not busy:
                await asyncio.sleep(0.01)
        await asyncio.sleep(rng.uniform(0, 0.005))
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        assert proc.returncode == -signal.SIGKILL
        return busy

    async def stop_all(self, sig: int = signal.SIGKILL) -> list[int | None]:
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(sig)
        codes = []
        for proc in self.procs:
            try:
                async with asyncio.timeout(15):
                    codes.append(await proc.wait())
            except TimeoutError:
                proc.kill()
                await proc.wait()
                codes.append(None)
        self.procs.clear()
        return codes


@pytest.mark.timeout(150)
async def test_kill_9_loses_no_callback(engine, database_url, receivers, tmp_path) -> None:
    rng = random.Random(int(os.environ.get("MJRELAY_TEST_SEED", "9")))
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    received: list[Received] = []
    wanted_kills = min(3, MAX_KILLS)
    landed = {"mid_run": 0}

    async def handler(request: Received) -> Reply:
        received.append(request)
        if landed["mid_run"] < wanted_kills:
            # Until the kills the test needs have landed, replies are slow enough that the
            # deliveries cannot all finish first (2,000 took ~2 s: only 2 kills came in time).
            await asyncio.sleep(0.05)
        if rng.random() < 0.2:  # widen the window between "sent" and "committed"
            await asyncio.sleep(rng.uniform(0, 0.02))
        return Reply(status=200)

    receiver = await receivers(handler)
    await insert_outbox(engine, receiver.url())
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MJRELAY_CALLBACK_ALLOWLIST": "127.0.0.0/8",
        "MJRELAY_WEBHOOK_SECRET": secret,
        "MJRELAY_CALLBACK_CONCURRENCY": "8",
        "MJRELAY_CALLBACK_SCHEDULE": ",".join(["0.2s"] * 10),
        "MJRELAY_LOG_LEVEL": "warning",
    }
    fleet = Fleet(env, tmp_path)
    kills = kills_mid_run = 0
    deadline = time.monotonic() + 110
    try:
        await fleet.start()
        await fleet.start()
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(0.2, 1.0))
            done = await delivered_count(engine)
            if done >= TOTAL:
                break
            if kills < MAX_KILLS:
                kills += 1
                kills_mid_run += await fleet.kill_one(rng, engine)
                landed["mid_run"] = kills_mid_run
                await fleet.start()
        assert await delivered_count(engine) == TOTAL, "deliveries left pending at the deadline"
        # The survivors stop cleanly on SIGTERM (what a platform sends on a deploy).
        assert await fleet.stop_all(signal.SIGTERM) == [0] * 2
        elapsed = time.monotonic() - deadline + 110
    finally:
        await fleet.stop_all()

    assert kills_mid_run >= wanted_kills, "no kill landed while deliveries were in flight"
    rows = await delivery_rows(engine)
    by_key = {(r["task_id"], r["seq"]): r for r in rows}
    assert len(by_key) == TOTAL

    # 0 missing: every delivery's webhook-id reached the receiver.
    seen_ids = {r.headers["webhook-id"] for r in received}
    missing = [key for key, row in by_key.items() if row["webhook_id"] not in seen_ids]
    assert missing == []

    # Duplicates are the same message: same webhook-id, same bytes, for the same (task, seq).
    verifier = Webhook(secret)
    order: dict[str, list[int]] = defaultdict(list)
    for request in received:
        key = (request.headers["x-mjrelay-task-id"], int(request.headers["x-mjrelay-sequence"]))
        row = by_key[key]
        assert request.headers["webhook-id"] == row["webhook_id"]
        assert request.body == bytes(row["payload"])
        assert verifier.verify(request.body, request.headers, json_parse=False) is None
        order[key[0]].append(key[1])
    for task, seqs in order.items():
        assert seqs == sorted(seqs), (task, seqs)
    duplicates = len(received) - TOTAL
    print(f"{elapsed:.1f} s, kills: {kills} ({kills_mid_run} with claims in flight)")
    print(f"requests: {len(received)}, duplicates: {duplicates}")
