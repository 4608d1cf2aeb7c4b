"""Scenario `e2e`: HTTP submit → SUCCESS, beyond the sandbox bot's own time, at 1, 2 and 4 workers.

The sandbox (10 accounts, `instant` speed, each account's bot running 10 jobs at once, REST rate
limit out of the way; `bench/e2e/sandbox_proc.py`), `mjrelay web` and N `mjrelay worker`
processes each run as their own processes on a fresh database, as deployed. Each batch submits
100 imagines at once over HTTP (`POST /mj/submit/imagine`) and waits until all are final.
Per task:

    total    = finish_time (set by the worker at SUCCESS) − the client's clock before its POST
    bot time = the final message's snowflake time (minted by the sandbox when it posted it) − when
               the sandbox accepted the interaction (its own record, keyed by nonce)
    overhead = total − bot time   (queueing, leasing, REST, gateway, database writes: ours)

The bot's own time is the baseline: what a client would wait for with a zero-cost bridge.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox import SandboxAccount
from app.sandbox.snowflake import snowflake_ms
from app.worker.sandbox_accounts import register_sandbox_accounts
from bench import product, profiles
from bench.e2e.sandbox_proc import submissions_path
from bench.harness import BenchContext
from bench.product import Process, free_port, log_dir, percentile
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target
from db.engine import make_engine

TARGET_OVERHEAD_MS = 50.0
BATCH_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class E2eParams:
    accounts: int
    tasks: int  # per batch, submitted at once
    batches: int  # measured batches per worker count
    workers: tuple[int, ...]
    warmup_tasks: int = 10


FULL = E2eParams(accounts=10, tasks=100, batches=3, workers=(1, 2, 4))
SMOKE = E2eParams(accounts=2, tasks=6, batches=1, workers=(1,), warmup_tasks=2)
LIGHT = 0  # index of the light batches: one task per account at once, 1 worker


class CpuClock:
    """CPU seconds of the processes in a batch, by kind (sandbox, web, workers, PostgreSQL)."""

    def __init__(self, pids: dict[str, list[int]], postmaster_pid: int | None) -> None:
        self.pids = pids
        self.postmaster_pid = postmaster_pid

    def sample(self) -> dict[str, float]:
        import psutil

        from bench.cpu import _server_cpu

        found: dict[str, float] = {}
        for kind, pids in self.pids.items():
            total = 0.0
            for pid in pids:
                try:
                    times = psutil.Process(pid).cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    continue
            found[kind] = total
        if self.postmaster_pid is not None:
            found["PostgreSQL"] = sum(_server_cpu(self.postmaster_pid).values())
        found["benchmark client"] = sum(psutil.Process().cpu_times()[:2])
        return found


@dataclass
class Batch:
    workers: int
    index: int
    total_ms: list[float] = field(default_factory=list)
    bot_ms: list[float] = field(default_factory=list)
    overhead_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)  # the POST's own round trip
    # Where the overhead goes, per task (ms): client's POST → task row's submit_time (web),
    # submit_time → nonce minted (worker leased it), nonce → sandbox accepted the interaction,
    # final message posted → finish_time (gateway event → SUCCESS written).
    to_row_ms: list[float] = field(default_factory=list)
    lease_ms: list[float] = field(default_factory=list)
    send_ms: list[float] = field(default_factory=list)
    finish_ms: list[float] = field(default_factory=list)
    makespan_s: float = 0.0
    failed: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds by process kind

    @property
    def throughput(self) -> float:
        return len(self.total_ms) / self.makespan_s if self.makespan_s else 0.0


async def _owners(engine: AsyncEngine) -> dict[str | None, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT owner, count(*) AS n FROM accounts GROUP BY owner"))
        return {row.owner: int(row.n) for row in rows}


async def _wait_balanced(engine: AsyncEngine, workers: int, accounts: int) -> None:
    """Until every account is owned and no worker holds more than its fair share."""
    share = -(-accounts // workers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        owners = await _owners(engine)
        owned = {k: v for k, v in owners.items() if k is not None}
        balanced = owned and max(owned.values()) <= share and len(owned) == workers
        if balanced and sum(owned.values()) == accounts:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"accounts not balanced over {workers} workers: {await _owners(engine)}")


async def _submit(client: httpx.AsyncClient, prompt: str) -> tuple[str, float, float]:
    wall = time.time()
    started = time.monotonic()
    reply = await client.post("/mj/submit/imagine", json={"prompt": prompt, "state": "bench"})
    elapsed = time.monotonic() - started
    body = reply.json()
    if body.get("code") != 1:
        raise RuntimeError(f"submit refused: {reply.status_code} {body}")
    return str(body["result"]), wall, elapsed


async def _wait_final(engine: AsyncEngine, ids: list[str]) -> list[dict[str, object]]:
    deadline = time.monotonic() + BATCH_TIMEOUT_S
    query = text(
        "SELECT id, status, submit_time, finish_time, nonce, message_id FROM tasks"
        " WHERE id = ANY(:ids) AND status IN ('SUCCESS', 'FAILURE', 'CANCEL')"
    )
    while True:
        async with engine.connect() as conn:
            rows = [dict(r) for r in (await conn.execute(query, {"ids": ids})).mappings()]
        if len(rows) == len(ids) or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.02)


async def run_batch(engine: AsyncEngine, client: httpx.AsyncClient, sandbox: SandboxProcess,
                    workers: int, index: int, n: int) -> Batch:  # fmt: skip
    batch = Batch(workers, index)
    prompts = [f"e2e w{workers} b{index} n{i} a lighthouse at dusk" for i in range(n)]
    started = time.monotonic()
    submitted = await asyncio.gather(*(_submit(client, p) for p in prompts))
    ids = [task_id for task_id, _, _ in submitted]
    rows = await _wait_final(engine, ids)
    finishes = [int(str(r["finish_time"])) for r in rows if r["finish_time"]]
    first_submit = min(wall for _, wall, _ in submitted)
    if len(rows) == n and finishes:
        batch.makespan_s = max(finishes) / 1000 - first_submit
    else:
        batch.makespan_s = time.monotonic() - started
    accepted = await sandbox.submissions()
    by_id = {str(r["id"]): r for r in rows}
    for task_id, wall, elapsed in submitted:
        row = by_id.get(task_id)
        if row is None or row["status"] != "SUCCESS" or not row["message_id"]:
            batch.failed += 1
            continue
        total = int(str(row["finish_time"])) - wall * 1000
        at = accepted.get(str(row["nonce"]))
        if at is None:
            batch.failed += 1
            continue
        final_ms = snowflake_ms(str(row["message_id"]))
        bot = final_ms - at * 1000
        nonce_ms = snowflake_ms(str(row["nonce"]))
        submit_time = int(str(row["submit_time"]))
        batch.to_row_ms.append(submit_time - wall * 1000)
        batch.lease_ms.append(nonce_ms - submit_time)
        batch.send_ms.append(at * 1000 - nonce_ms)
        batch.finish_ms.append(int(str(row["finish_time"])) - final_ms)
        batch.total_ms.append(total)
        batch.bot_ms.append(bot)
        batch.overhead_ms.append(total - bot)
        batch.submit_ms.append(elapsed * 1000)
    return batch


@dataclass
class SandboxProcess:
    """The sandbox as a child process (`bench/e2e/sandbox_proc.py`)."""

    proc: Process
    out: Path

    @classmethod
    def start(cls, params: E2eParams, logs: Path) -> SandboxProcess:
        out = logs / "sandbox.json"
        argv = [str(free_port()), str(params.accounts), str(out)]
        env = {**os.environ}
        return cls(product.python_module("sandbox", "bench.e2e.sandbox_proc", argv, env, logs), out)

    async def _wait_file(self, path: Path) -> Any:
        deadline = time.monotonic() + 30
        while not await asyncio.to_thread(path.exists):
            if not self.proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not answer; see {self.proc.log_path}")
            await asyncio.sleep(0.02)
        return json.loads(await asyncio.to_thread(path.read_text))

    async def accounts(self) -> tuple[list[SandboxAccount], str]:
        data = await self._wait_file(self.out)
        return [SandboxAccount(**a) for a in data["accounts"]], str(data["base_url"])

    async def submissions(self) -> dict[str, float]:
        """When the sandbox accepted each interaction, by nonce."""
        path = submissions_path(self.out)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        self.proc.popen.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]
        return {str(k): float(v) for k, v in (await self._wait_file(path)).items()}


def _worker(n: int, url: str, logs: Path, round_: int) -> Process:
    env = product.product_env(
        url,
        MJRELAY_WORKER_ID=f"bench-w{round_}-{n}",
        MJRELAY_ACCOUNT_LEASE_TTL_S="3",
        MJRELAY_POLL_INTERVAL_S="1",
    )
    return product.python_module(f"worker-{round_}-{n}", "app.cli", ["worker"], env, logs)


async def run_workers(ctx: BenchContext, params: E2eParams, sandbox: SandboxProcess,
                      web_pid: int, engine: AsyncEngine,
                      url: str, port: int, workers: int, logs: Path,
                      bar: object) -> tuple[list[Batch], Path | None]:  # fmt: skip
    procs = [_worker(n, url, logs, workers) for n in range(workers)]
    raw = logs / f"worker-{workers}.pyspy.txt"
    profiled = None
    try:
        await _wait_balanced(engine, workers, params.accounts)
        limits = httpx.Limits(max_connections=params.tasks, max_keepalive_connections=params.tasks)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
        ) as client:
            await run_batch(engine, client, sandbox, workers, -1, params.warmup_tasks)
            batches = []
            pids = {"sandbox": [sandbox.proc.pid], "web": [web_pid],
                    "worker(s)": [p.pid for p in procs]}  # fmt: skip
            clock = CpuClock(pids, ctx.server.postmaster_pid)
            if workers == 1:  # light load first: one task per account at once
                for index in range(params.batches):
                    light = await run_batch(engine, client, sandbox, 0, index, params.accounts)
                    batches.append(light)
            for index in range(params.batches):
                spy = None
                if workers == 1 and index == params.batches - 1 and ctx.scale == "full":
                    spy = profiles.record(procs[0].pid, 4, raw)
                    profiled = raw if spy is not None else None
                before = clock.sample()
                batch = await run_batch(engine, client, sandbox, workers, index, params.tasks)
                after = clock.sample()
                batch.cpu_s = {k: after[k] - before.get(k, 0.0) for k in after}
                profiles.finish(spy)
                batches.append(batch)
                bar.set_postfix_str(  # type: ignore[attr-defined]
                    f"{workers} worker(s): overhead p50 {percentile(batch.overhead_ms, 50):.0f} ms"
                )
                bar.update(1)  # type: ignore[attr-defined]
    finally:
        for proc in procs:
            await proc.stop()
    return batches, profiled


@scenario("e2e", "End to end: submit → SUCCESS against the sandbox", budget_s=150)
async def run(ctx: BenchContext) -> ScenarioResult:
    params = FULL if ctx.scale == "full" else SMOKE
    return await run_e2e(ctx, params)


async def run_e2e(ctx: BenchContext, params: E2eParams) -> ScenarioResult:
    started = time.monotonic()
    logs = log_dir("e2e")
    template = await product.migrated_template(ctx)
    batches: list[Batch] = []
    profile: Path | None = None
    async with ctx.database("e2e", template) as url:
        engine = make_engine(url, pool_size=4)
        sandbox = SandboxProcess.start(params, logs)
        try:
            accounts, base_url = await sandbox.accounts()
            await register_sandbox_accounts(engine, accounts, base_url, concurrency=10)
            port = free_port()
            web_env = product.product_env(url, PORT=str(port), MJRELAY_HOST="127.0.0.1")
            web = product.python_module("web", "app.cli", ["web"], web_env, logs)
            bar = ctx.progress(params.batches * len(params.workers), "e2e", unit="batch")
            try:
                await product.wait_for_port(port, process=web)
                for workers in params.workers:
                    found, raw = await run_workers(
                        ctx, params, sandbox, web.pid, engine, url, port, workers, logs, bar
                    )
                    batches += found
                    profile = profile or raw
            finally:
                bar.close()
                await web.stop()
        finally:
            await sandbox.proc.stop()
            await engine.dispose()
    result = ScenarioResult(
        "e2e", "End to end: submit → SUCCESS against the sandbox", summary(params)
    )
    result.figures = figures(batches, params)
    result.tables += [
        table(batches, params),
        breakdown_table(batches, params),
        cpu_table(batches, params),
    ]
    result.plots = _plots(ctx, batches, params)
    text_ = profiles.summary(profile, "mjrelay worker (1 worker), during a batch of"
                             f" {params.tasks} imagines") if profile else None  # fmt: skip
    if text_:
        (ctx.plots_dir / "e2e-worker-profile.txt").write_text(text_)
    result.notes += notes(batches, params, profile if text_ else None)
    result.elapsed_s = time.monotonic() - started
    return result


def _pooled(batches: list[Batch], workers: int, attr: str) -> list[float]:
    values: list[float] = []
    for batch in batches:
        if batch.workers == workers:
            values += getattr(batch, attr)
    return values


def _throughput(batches: list[Batch], workers: int) -> float:
    rates = [b.throughput for b in batches if b.workers == workers]
    return statistics.median(rates) if rates else 0.0


def figures(batches: list[Batch], params: E2eParams) -> list[Figure]:
    one = params.workers[0]
    bot = percentile(_pooled(batches, one, "bot_ms"), 50)
    found = [
        Figure(f"overhead beyond the bot, p50 ({params.tasks} tasks at once, {one} worker)",
               percentile(_pooled(batches, one, "overhead_ms"), 50), "ms",
               "the sandbox bot's own time, p50", bot,
               Target("≤ 50 ms", TARGET_OVERHEAD_MS, higher_is_better=False)),
        Figure(f"submit → SUCCESS, p50 ({one} worker)",
               percentile(_pooled(batches, one, "total_ms"), 50), "ms",
               "the sandbox bot's own time, p50", bot),
    ]  # fmt: skip
    light = _pooled(batches, LIGHT, "overhead_ms")
    if light:
        found.append(
            Figure(f"overhead beyond the bot, p50 ({params.accounts} tasks at once, 1 per"
                   f" account, {one} worker)", percentile(light, 50), "ms",
                   "the sandbox bot's own time, p50",
                   percentile(_pooled(batches, LIGHT, "bot_ms"), 50))
        )  # fmt: skip
    base = _throughput(batches, one)
    for workers in params.workers[1:]:
        found.append(
            Figure(f"tasks/s, {workers} workers", _throughput(batches, workers), "tasks/s",
                   f"{one} worker", base)
        )  # fmt: skip
    return found


def breakdown_table(batches: list[Batch], params: E2eParams) -> Table:
    parts = [("to_row_ms", "POST → task row (web)"), ("lease_ms", "task row → leased (worker)"),
             ("send_ms", "leased → bot has the interaction"), ("bot_ms", "bot's own time"),
             ("finish_ms", "bot's result → SUCCESS written")]  # fmt: skip
    rows = []
    for workers in [LIGHT, *params.workers]:
        if not _pooled(batches, workers, "total_ms"):
            continue
        label = str(workers) if workers else f"1, {params.accounts} at once"
        rows.append(
            (label, *(f"{percentile(_pooled(batches, workers, a), 50):,.0f}" for a, _ in parts))
        )
    headers = ("workers", *(f"{name}, p50 ms" for _, name in parts))
    return Table(
        "Where a task's time goes (p50 of each step; clocks: client, web, worker, sandbox — one"
        " machine, ms resolution)",
        headers,
        tuple(rows),
    )


def cpu_table(batches: list[Batch], params: E2eParams) -> Table:
    kinds = ["sandbox", "worker(s)", "web", "PostgreSQL", "benchmark client"]
    rows = []
    for workers in params.workers:
        mine = [b for b in batches if b.workers == workers and b.cpu_s]
        if not mine:
            continue
        tasks = sum(len(b.total_ms) for b in mine) or 1
        wall = sum(b.makespan_s for b in mine) or 1.0
        cells = [f"{sum(b.cpu_s.get(k, 0.0) for b in mine) * 1000 / tasks:,.0f}" for k in kinds]
        busy = sum(sum(b.cpu_s.values()) for b in mine) / wall
        rows.append((str(workers), *cells, f"{busy:.2f}"))
    headers = ("workers", *(f"{k} CPU ms/task" for k in kinds), "cores busy (of 2)")
    return Table("Where the CPU went during the measured batches", headers, tuple(rows))


def table(batches: list[Batch], params: E2eParams) -> Table:
    rows = []
    for workers in [LIGHT, *params.workers]:
        over = _pooled(batches, workers, "overhead_ms")
        if not over:
            continue
        rows.append(
            (
                str(workers) if workers else f"1, {params.accounts} at once",
                str(sum(len(b.total_ms) for b in batches if b.workers == workers)),
                str(sum(b.failed for b in batches if b.workers == workers)),
                *(f"{percentile(over, q):,.0f}" for q in (50, 90, 99)),
                f"{percentile(_pooled(batches, workers, 'total_ms'), 50):,.0f}",
                f"{percentile(_pooled(batches, workers, 'bot_ms'), 50):,.0f}",
                f"{percentile(_pooled(batches, workers, 'submit_ms'), 50):,.0f}",
                f"{_throughput(batches, workers):,.1f}",
            )
        )
    headers = ("workers", "tasks", "failed", "overhead p50 ms", "p90 ms", "p99 ms",
               "submit → SUCCESS p50 ms", "bot's own p50 ms", "POST round trip p50 ms",
               "tasks/s (batch)")  # fmt: skip
    return Table(f"Per worker count ({params.batches} batch(es) of {params.tasks})", headers,
                 tuple(rows))  # fmt: skip


def _plots(ctx: BenchContext, batches: list[Batch], params: E2eParams) -> list[Path]:
    from bench.plots import pyplot, save

    plt = pyplot()
    if plt is None or not batches:
        return []
    xs = list(params.workers)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.8, 3.4))
    for q, style in ((50, "-o"), (90, "--o")):
        left.plot(xs, [percentile(_pooled(batches, w, "overhead_ms"), q) for w in xs], style,
                  label=f"overhead p{q}", color="#1f77b4")  # fmt: skip
    left.plot(xs, [percentile(_pooled(batches, w, "bot_ms"), 50) for w in xs], "-s",
              label="bot's own time p50", color="#7f7f7f")  # fmt: skip
    left.axhline(TARGET_OVERHEAD_MS, color="red", linestyle=":", label="target p50 50 ms")
    left.set_xlabel("worker processes")
    left.set_ylabel("ms")
    left.set_xticks(xs)
    left.set_title(f"{params.tasks} tasks at once: overhead")
    left.legend(fontsize=7)
    right.plot(xs, [_throughput(batches, w) for w in xs], "-o", color="#1f77b4")
    right.set_xlabel("worker processes")
    right.set_ylabel("tasks/s (first submit → last SUCCESS)")
    right.set_xticks(xs)
    right.set_ylim(bottom=0)
    right.set_title("Scaling over worker processes")
    fig.tight_layout()
    path = save(fig, ctx.plots_dir, "e2e-scaling.png")
    plt.close("all")
    return [path]


def summary(params: E2eParams) -> str:
    return (
        f"{params.batches} batch(es) of {params.tasks} imagines submitted at once over"
        f" {params.accounts} sandbox accounts (10 concurrent jobs each, in mjrelay and in the"
        f" sandbox bot), after {params.warmup_tasks} unmeasured ones, with"
        f" {', '.join(map(str, params.workers))} worker process(es) and one web process."
        " The sandbox (`instant` speed, REST rate limit out of the way), `mjrelay web` and the"
        " workers each run as their own processes on a fresh database; all share the machine's"
        " 2 cores. Per task, **total** = the worker's finish_time at SUCCESS − the client's clock"
        " before its POST; **bot's own time** = the final message's snowflake time (minted by"
        " the sandbox when it posted it) − when the sandbox accepted the interaction (its own"
        " record, by nonce); **overhead** = total − bot's own time: queueing, leasing, REST,"
        " gateway and database writes — ours. The bot's own time is the baseline: what a client"
        " would wait for with a zero-cost bridge."
    )


def notes(batches: list[Batch], params: E2eParams, raw: Path | None) -> list[str]:
    found = []
    failed = sum(b.failed for b in batches)
    if failed:
        found.append(f"{failed} task(s) did not reach SUCCESS in {BATCH_TIMEOUT_S:g} s.")
    one = [b for b in batches if b.workers == params.workers[0] and b.cpu_s]
    if one:
        tasks = sum(len(b.total_ms) for b in one) or 1
        wall = sum(b.makespan_s for b in one) or 1.0

        def per_task(kind: str) -> float:
            return sum(b.cpu_s.get(kind, 0.0) for b in one) * 1000 / tasks

        busy = sum(sum(b.cpu_s.values()) for b in one) / wall
        kinds = ("sandbox", "worker(s)", "web", "PostgreSQL")
        largest = max(kinds, key=per_task)
        spent = ", ".join(f"{kind} {per_task(kind):,.0f} ms" for kind in kinds)
        found.append(
            f"With {params.tasks} tasks at once {busy:.1f} of 2 cores were busy; CPU per task:"
            f" {spent}; the largest consumer is the {largest}. When the cores are saturated,"
            " the overhead at 100 at once is mostly waiting for a core; with one task per"
            " account at once (light row) the overhead is the bridge's own latency."
        )
    if _pooled(batches, LIGHT, "total_ms"):
        steps = {
            "POST → task row": "to_row_ms",
            "task row → leased": "lease_ms",
            "leased → bot has the interaction": "send_ms",
            "bot's result → SUCCESS written": "finish_ms",
        }
        split = ", ".join(
            f"{name} {percentile(_pooled(batches, LIGHT, attr), 50):,.0f} ms"
            for name, attr in steps.items()
        )
        found.append(
            f"At light load ({params.accounts} at once) the overhead's steps, p50 each: {split}."
            " The last step covers the worker turning the bot's final message into SUCCESS:"
            " following the gateway event, writing the change (task, event, delivery, NOTIFY)."
        )
    if raw is not None:
        parts = {
            "database writes (SQLAlchemy)": "(sqlalchemy/",
            "Discord REST (httpx)": "(httpx/",
            "gateway (websockets)": "(websockets/",
            "JSON": "(json/",
        }
        shares = ", ".join(f"{k} {profiles.share(raw, v):.0%}" for k, v in parts.items())
        found.append(
            "py-spy profile of the single worker during a measured batch:"
            f" [e2e-worker-profile.txt](bench/e2e-worker-profile.txt); samples under {shares}."
        )
    return found
