"""Scenario `memory`: RSS of `mjrelay up` after 10,000 tasks against its RSS after 100.

`mjrelay up` (web, worker, callback dispatcher and, with no real account, the built-in sandbox at
`instant` speed, all one process) on its own database; imagines with distinct prompts are
submitted over HTTP in waves, each wave waited for until every task finished; the RSS of the
process is read after each wave. The first reading (after 100 tasks) is the baseline: memory
that grows with the number of tasks served shows as a ratio above 1.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import psutil
from sqlalchemy import text

from bench import product
from bench.harness import BenchContext
from bench.plots import pyplot, save
from bench.product import free_port, log_dir
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target
from db.engine import make_engine

TITLE = "Memory of mjrelay up over 10,000 tasks"
CHECKPOINTS = {"full": (100, 500, 1_000, 2_500, 5_000, 7_500, 10_000), "smoke": (20, 60)}
# No wave starts after this (a loaded machine may not reach 10,000): the figure is then the last
# wave reached, and a note says so.
WAVES_BUDGET_S = {"full": 720.0, "smoke": 120.0}
IN_FLIGHT = 200  # submits at once
SANDBOX_ACCOUNTS = 10
TARGET = 1.2


def _rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def _submit(client: httpx.AsyncClient, first: int, count: int) -> int:
    """Submit `count` imagines (prompt numbers from `first`); how many were refused."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    refused = 0

    async def one(n: int) -> None:
        nonlocal refused
        async with gate:
            reply = await client.post(
                "/mj/submit/imagine", json={"prompt": f"memory {n} a quiet harbour", "state": ""}
            )
            if reply.json().get("code") not in (1, 22):
                refused += 1

    await asyncio.gather(*(one(n) for n in range(first, first + count)))
    return refused


async def _until_finished(url: str, total: int, process: product.Process) -> int:
    """Wait until `total` tasks are final; how many failed."""
    engine = make_engine(url, pool_size=1)
    query = text("SELECT count(*) FILTER (WHERE status IN ('SUCCESS', 'FAILURE')),"
                 " count(*) FILTER (WHERE status = 'FAILURE') FROM tasks")  # fmt: skip
    try:
        while True:
            async with engine.connect() as conn:
                done, failed = (await conn.execute(query)).one()
            if done >= total:
                return int(failed)
            if not process.alive():
                raise RuntimeError("mjrelay up exited; see its log")
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


@scenario("memory", TITLE, budget_s=900)
async def run(ctx: BenchContext) -> ScenarioResult:
    started = time.monotonic()
    checkpoints = CHECKPOINTS["smoke" if ctx.scale == "smoke" else "full"]
    result = ScenarioResult("memory", TITLE, __doc__.split("\n\n")[1].replace("\n", " "))
    logs = log_dir("memory")
    template = await product.migrated_template(ctx)
    readings: list[tuple[int, float, float, int]] = []  # tasks, RSS MiB, seconds, failed
    async with ctx.database("memory", template) as url:
        port = free_port()
        env = product.product_env(
            url, PORT=str(port), MJRELAY_HOST="127.0.0.1", MJRELAY_SANDBOX_SPEED="instant",
            MJRELAY_SANDBOX_ACCOUNTS=str(SANDBOX_ACCOUNTS),
        )  # fmt: skip
        up = product.python_module("up", "app.cli", ["up"], env, logs)
        try:
            await product.wait_until_ready(port, up, timeout_s=90)
            bar = ctx.progress(checkpoints[-1], "memory", unit="task")
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                done = 0
                for checkpoint in checkpoints:
                    if time.monotonic() - started > WAVES_BUDGET_S[ctx.scale]:
                        result.notes.append(
                            f"Stopped after {done:,} tasks: the waves' budget "
                            f"({WAVES_BUDGET_S[ctx.scale]:.0f} s) ran out before {checkpoint:,}."
                        )
                        break
                    refused = await _submit(client, done, checkpoint - done)
                    if refused:
                        result.notes.append(f"{refused} submits refused before {checkpoint:,}")
                    failed = await _until_finished(url, checkpoint - refused, up)
                    bar.update(checkpoint - done)
                    done = checkpoint
                    readings.append(
                        (checkpoint, _rss_mib(up.pid), time.monotonic() - started, failed)
                    )
            bar.close()
        finally:
            await up.stop(timeout_s=20)
    first, last = readings[0], readings[-1]
    result.figures.append(
        Figure(f"RSS after {last[0]:,} tasks", last[1], "MiB", f"RSS after {first[0]:,} tasks",
               first[1], Target(f"≤ {TARGET}×", TARGET, on="ratio", higher_is_better=False))
    )  # fmt: skip
    result.notes += growth_notes(readings)
    result.tables.append(
        Table(
            "RSS after each wave",
            ("tasks finished", "RSS MiB", "seconds since start", "failed"),
            tuple((f"{n:,}", f"{rss:.0f}", f"{s:.0f}", str(f)) for n, rss, s, f in readings),
        )
    )
    result.plots = _plot(ctx, readings)
    result.elapsed_s = time.monotonic() - started
    return result


def growth_notes(readings: list[tuple[int, float, float, int]]) -> list[str]:
    (n0, rss0, _, _), (n1, rss1, _, _) = readings[0], readings[-1]
    if n1 == n0 or rss1 <= rss0 * TARGET:
        return []
    per_task_kib = (rss1 - rss0) * 1024 / (n1 - n0)
    return [
        f"RSS grew by {per_task_kib:,.0f} KiB per task from {n0:,} to {n1:,} tasks. Suspected "
        "cause, from the code and the size of a task's files (not yet confirmed with "
        "tracemalloc): the built-in sandbox runs inside `mjrelay up` and, like Discord's CDN, "
        "keeps every attachment it ever served, in memory (`app/sandbox/cdn.py` `Cdn._files`, "
        "no bound: each imagine's grid PNG and previews), and every message "
        "(`app/sandbox/store.py`). The next step: tracemalloc snapshots of `mjrelay up` between "
        "two waves, then a byte bound on the sandbox's CDN (the worker archives a result right "
        "after SUCCESS, so old attachments are not needed) and a run with the sandbox as its "
        "own process to measure the bridge alone."
    ]


def _plot(ctx: BenchContext, readings: list[tuple[int, float, float, int]]) -> list:
    plt = pyplot()
    if plt is None:
        return []
    fig, axis = plt.subplots(figsize=(6, 3.2))
    axis.plot([r[0] for r in readings], [r[1] for r in readings], marker="o")
    axis.axhline(readings[0][1] * TARGET, color="grey", linestyle="--", label=f"{TARGET}× first")
    axis.set_xlabel("tasks finished")
    axis.set_ylabel("RSS of mjrelay up, MiB")
    axis.set_ylim(bottom=0)
    axis.legend()
    return [save(fig, ctx.plots_dir, "memory-rss.png")]
