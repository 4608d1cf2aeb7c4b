"""Chaos: kill -9 worker and web processes at random points while 1,000 tasks run.

`make chaos` (`python -m bench.chaos`) rewrites docs/reliability.md. Everything runs on this
machine and loopback only:

- the sandbox (10 accounts, `fast` speed, so jobs take ~2 s and are in flight when a kill lands)
  runs in this process, so its record of every interaction it accepted can be counted;
- 2 `mjrelay web` and 2 `mjrelay worker` processes (each worker also runs the callback
  dispatcher), account lease TTL 2 s, reconcile grace 2 s;
- a client (this process) submits imagines with a `notifyHook` to a loopback receiver (this
  process), to a random live web process, and retries a failed request on another one;
- a killer SIGKILLs a random worker (2 kills in 3) or web process at random intervals and starts
  a replacement at once. For a worker that held accounts it measures the time until every one of
  them is owned by a live worker again (re-lease).

At the end, once everything is final and delivered, it checks: every acknowledged task exists
and reached SUCCESS (0 lost tasks); every callback row the database holds reached the receiver
and every task has one callback per event (0 lost callbacks); the sandbox accepted exactly one
imagine per task and every nonce once (0 double submissions).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from bench import product
from bench.harness import BenchContext
from bench.product import Process, Receiver, free_port, percentile
from bench.results import Figure, Target
from db.engine import make_engine

TTL_S = 2.0
FINAL = ("SUCCESS", "FAILURE", "CANCEL")


@dataclass(frozen=True)
class ChaosParams:
    tasks: int = 1_000
    kills: int = 100
    accounts: int = 10
    mean_gap_s: float = 3.0  # between kills: uniform over [0.3, 1.7] × this
    worker_share: float = 2 / 3
    drain_s: float = 180.0
    seed: int = 9


SMOKE = ChaosParams(tasks=12, kills=3, accounts=2, mean_gap_s=2.0, drain_s=90.0)


@dataclass
class Kill:
    at: float  # seconds into the run
    kind: str  # worker | web
    name: str
    accounts: int = 0  # accounts the victim owned
    in_flight: int = 0  # its tasks SUBMITTED or RUNNING at the kill
    relet_s: float | None = None  # until all its accounts had a live owner again
    back_s: float | None = None  # web: until the replacement answered /healthz


@dataclass
class Outcome:
    params: ChaosParams
    elapsed_s: float = 0.0
    acknowledged: list[str] = field(default_factory=list)
    submit_retries: int = 0
    kills: list[Kill] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    lost_tasks: int = 0
    unfinished: int = 0
    tasks_in_db: int = 0
    imagines_accepted: int = 0
    repeated_nonces: int = 0
    deliveries: int = 0
    events: int = 0
    finals_without_callback: int = 0
    undelivered: int = 0
    callbacks_missing: int = 0
    duplicate_callbacks: int = 0
    task_timeline: list[tuple[float, int]] = field(default_factory=list)  # (s, SUCCESS so far)


class Fleet:
    """The product processes; replacements get fresh names (and worker ids)."""

    def __init__(self, url: str, hook_env: dict[str, str], logs: Path) -> None:
        self.url = url
        self.env = hook_env
        self.logs = logs
        self.workers: dict[str, Process] = {}
        self.webs: dict[int, Process] = {}
        self.started = 0

    def start_worker(self) -> Process:
        self.started += 1
        name = f"chaos-worker-{self.started}"
        env = product.product_env(self.url, MJRELAY_WORKER_ID=name, **self.env)
        proc = product.python_module(name, "app.cli", ["worker"], env, self.logs)
        self.workers[name] = proc
        return proc

    def start_web(self, port: int) -> Process:
        self.started += 1
        name = f"chaos-web-{port}-{self.started}"
        env = product.product_env(self.url, PORT=str(port), MJRELAY_HOST="127.0.0.1", **self.env)
        proc = product.python_module(name, "app.cli", ["web"], env, self.logs)
        self.webs[port] = proc
        return proc

    async def stop(self) -> None:
        for proc in [*self.workers.values(), *self.webs.values()]:
            await proc.stop()


async def _scalar(engine: AsyncEngine, sql: str, **params: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar() or 0)


async def _owned_by(engine: AsyncEngine, worker: str) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT id FROM accounts WHERE owner = :w"), {"w": worker})
        return [str(r.id) for r in rows]


async def _relet(engine: AsyncEngine, victim: str, accounts: list[str], kill: Kill,
                 killed_at: float) -> None:  # fmt: skip
    """Until every account the victim held is owned by another worker with a live lease."""
    query = text(
        "SELECT count(*) FROM accounts WHERE id = ANY(:ids) AND owner IS NOT NULL"
        " AND owner <> :victim AND lease_expires_at > now()"
    )
    deadline = killed_at + 60
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            n = int((await conn.execute(query, {"ids": accounts, "victim": victim})).scalar() or 0)
        if n == len(accounts):
            kill.relet_s = time.monotonic() - killed_at
            return
        await asyncio.sleep(0.02)


async def _healthy(port: int, kill: Kill, killed_at: float) -> None:
    async with httpx.AsyncClient(timeout=1) as client:
        while time.monotonic() < killed_at + 60:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    kill.back_s = time.monotonic() - killed_at
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.02)


async def killer(fleet: Fleet, engine: AsyncEngine, params: ChaosParams, rng: random.Random,
                 out: Outcome, started: float, bar: object) -> None:  # fmt: skip
    watchers: list[asyncio.Task[None]] = []
    for _ in range(params.kills):
        await asyncio.sleep(rng.uniform(0.3, 1.7) * params.mean_gap_s)
        if rng.random() < params.worker_share:
            name = rng.choice(sorted(fleet.workers))
            proc = fleet.workers.pop(name)
            accounts = await _owned_by(engine, name)
            in_flight = await _scalar(
                engine,
                "SELECT count(*) FROM tasks WHERE account_id = ANY(:ids)"
                " AND status IN ('SUBMITTED', 'RUNNING')",
                ids=accounts,
            )
            proc.kill9()
            killed_at = time.monotonic()
            kill = Kill(killed_at - started, "worker", name, len(accounts), in_flight)
            fleet.start_worker()
            if accounts:
                watchers.append(
                    asyncio.create_task(_relet(engine, name, accounts, kill, killed_at))
                )
        else:
            port = rng.choice(sorted(fleet.webs))
            proc = fleet.webs.pop(port)
            proc.kill9()
            killed_at = time.monotonic()
            kill = Kill(killed_at - started, "web", proc.name)
            fleet.start_web(port)
            watchers.append(asyncio.create_task(_healthy(port, kill, killed_at)))
        out.kills.append(kill)
        bar.update(1)  # type: ignore[attr-defined]
    await asyncio.gather(*watchers)


async def client(ports: list[int], hook: str, params: ChaosParams, rng: random.Random,
                 out: Outcome, duration_s: float, bar: object) -> None:  # fmt: skip
    """Submit `tasks` imagines spread over `duration_s`, each retried until acknowledged."""
    gap = duration_s / params.tasks
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=5) as http:
        for i in range(params.tasks):
            delay = started + i * gap - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            body = {"prompt": f"chaos {i} a lighthouse at dusk", "notifyHook": hook}
            for attempt in range(200):
                port = rng.choice(ports)
                try:
                    reply = await http.post(f"http://127.0.0.1:{port}/mj/submit/imagine", json=body)
                    data = reply.json()
                    if reply.status_code == 200 and data.get("code") == 1:
                        out.acknowledged.append(str(data["result"]))
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                out.submit_retries += 1
                await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))
            bar.update(1)  # type: ignore[attr-defined]


async def drain(engine: AsyncEngine, out: Outcome, deadline_s: float, started: float) -> None:
    """Until every task is final and every delivery delivered (or the deadline passes)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        open_tasks = await _scalar(
            engine, "SELECT count(*) FROM tasks WHERE status NOT IN ('SUCCESS','FAILURE','CANCEL')"
        )
        pending = await _scalar(
            engine, "SELECT count(*) FROM deliveries WHERE status NOT IN ('delivered')"
        )
        if not open_tasks and not pending:
            return
        await asyncio.sleep(0.25)


async def sample_progress(engine: AsyncEngine, out: Outcome, started: float,
                          stop: asyncio.Event) -> None:  # fmt: skip
    while not stop.is_set():
        done = await _scalar(engine, "SELECT count(*) FROM tasks WHERE status = 'SUCCESS'")
        out.task_timeline.append((time.monotonic() - started, done))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


# The event that made a task final is the first one with its final status: notes recorded later
# (e.g. `archived`) keep the status and earn no callback of their own.
FINALS_WITHOUT_CALLBACK = """
SELECT count(*) FROM tasks t
WHERE t.status IN ('SUCCESS', 'FAILURE', 'CANCEL')
  AND t.notify_url IS NOT NULL AND t.notify_url <> ''
  AND NOT EXISTS (
    SELECT 1 FROM deliveries d
    WHERE d.task_id = t.id
      AND d.seq = (SELECT min(e.seq) FROM task_events e
                   WHERE e.task_id = t.id AND e.status = t.status))
"""


async def check(engine: AsyncEngine, sb: Sandbox, receiver: Receiver, out: Outcome) -> None:
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, status FROM tasks"))).mappings().all()
        deliveries = (
            (await conn.execute(text("SELECT task_id, seq, webhook_id, status FROM deliveries")))
            .mappings()
            .all()
        )
        out.events = int(
            (await conn.execute(text("SELECT count(*) FROM task_events"))).scalar() or 0
        )
        # Not every state change earns a callback (only those a client's body shows), but the
        # final one always does: its event's seq names its delivery row.
        out.finals_without_callback = int(
            (await conn.execute(text(FINALS_WITHOUT_CALLBACK))).scalar() or 0
        )
    status = {str(r["id"]): str(r["status"]) for r in rows}
    out.tasks_in_db = len(status)
    out.statuses = Counter(status.values())
    out.lost_tasks = sum(1 for t in out.acknowledged if status.get(t) != "SUCCESS")
    out.unfinished = sum(1 for s in status.values() if s not in FINAL)
    imagines = [s for s in sb.submissions.accepted() if s.command == "imagine"]
    out.imagines_accepted = len(imagines)
    out.repeated_nonces = sum(n - 1 for n in sb.submissions.nonce_counts().values() if n > 1)
    out.deliveries = len(deliveries)
    out.undelivered = sum(1 for d in deliveries if d["status"] != "delivered")
    seen = Counter(h.webhook_id for h in receiver.hits)
    out.callbacks_missing = sum(1 for d in deliveries if d["webhook_id"] not in seen)
    out.duplicate_callbacks = sum(n - 1 for n in seen.values() if n > 1)


async def run_chaos(ctx: BenchContext, params: ChaosParams) -> Outcome:
    rng = random.Random(params.seed)
    logs = product.log_dir("chaos")
    out = Outcome(params)
    template = await product.migrated_template(ctx)
    receiver = await Receiver().start()
    hook_env = {
        "MJRELAY_ACCOUNT_LEASE_TTL_S": f"{TTL_S:g}",
        "MJRELAY_RECONCILE_GRACE_S": "2",
        "MJRELAY_POLL_INTERVAL_S": "0.5",
        "MJRELAY_CALLBACK_ALLOWLIST": "127.0.0.0/8",
        "MJRELAY_CALLBACK_SCHEDULE": ",".join(["0.5s"] * 20),
        "MJRELAY_CALLBACK_TIMEOUT_S": "5s",
    }
    started = time.monotonic()
    try:
        async with (
            ctx.database("chaos", template) as url,
            start_sandbox(accounts=params.accounts, speed="fast", seed=params.seed) as sb,
        ):
            engine = make_engine(url, pool_size=8)
            fleet = Fleet(url, hook_env, logs)
            stop = asyncio.Event()
            try:
                await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
                ports = [free_port(), free_port()]
                for port in ports:
                    fleet.start_web(port)
                fleet.start_worker()
                fleet.start_worker()
                for port in ports:
                    await product.wait_for_port(port, process=fleet.webs[port])
                sampler = asyncio.create_task(sample_progress(engine, out, started, stop))
                duration = params.kills * params.mean_gap_s
                kills_bar = ctx.progress(params.kills, "chaos kills", unit="kill")
                tasks_bar = ctx.progress(params.tasks, "chaos tasks", unit="task")
                try:
                    await asyncio.gather(
                        killer(fleet, engine, params, rng, out, started, kills_bar),
                        client(ports, receiver.url(), params, rng, out, duration, tasks_bar),
                    )
                finally:
                    kills_bar.close()
                    tasks_bar.close()
                await drain(engine, out, params.drain_s, started)
                stop.set()
                await sampler
                await fleet.stop()
                await check(engine, sb, receiver, out)
            finally:
                stop.set()
                await fleet.stop()
                await engine.dispose()
    finally:
        await receiver.close()
    out.elapsed_s = time.monotonic() - started
    return out


def figures(out: Outcome) -> list[Figure]:
    zero = Target("0", 0.0, higher_is_better=False)
    relets = [k.relet_s for k in out.kills if k.relet_s is not None]
    found = [
        Figure("lost tasks (acknowledged, not SUCCESS)", float(out.lost_tasks), "", target=zero),
        Figure("tasks left unfinished (any row)", float(out.unfinished), "", target=zero),
        Figure("lost callbacks (a delivery row never received, or not delivered)",
               float(out.callbacks_missing + out.undelivered), "", target=zero),
        Figure("finished tasks whose final state has no callback row",
               float(out.finals_without_callback), "", target=zero),
        Figure("double submissions (accepted imagines − tasks, + repeated nonces)",
               float(out.imagines_accepted - out.tasks_in_db + out.repeated_nonces), "",
               target=zero),
    ]  # fmt: skip
    if relets:
        found += [
            Figure("time to re-lease after a worker kill, p50", statistics.median(relets), "s",
                   "account lease TTL", TTL_S),
            Figure("time to re-lease after a worker kill, max", max(relets), "s",
                   "account lease TTL", TTL_S),
        ]  # fmt: skip
    return found


def relet_summary(out: Outcome) -> str:
    relets = [k.relet_s for k in out.kills if k.relet_s is not None]
    if not relets:
        return "no worker kill found accounts to re-lease"
    return (
        f"{len(relets)} re-leases: p50 {percentile(relets, 50):.2f} s, p90"
        f" {percentile(relets, 90):.2f} s, max {max(relets):.2f} s"
    )
