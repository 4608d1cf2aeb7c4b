"""Scenario `memory`: RSS of `mjrelay up` after 10,000 tasks against its RSS after 100.

`mjrelay up` (web, worker and callback dispatcher, one process) on its own database, its 10
accounts on a sandbox that runs as a process of its own at `instant` speed; imagines with distinct
prompts and a callback URL (a loopback receiver) are submitted over HTTP in waves, each wave
waited for until every task finished; the RSS of both processes is read after each wave. The
first reading (after 100 tasks) is the baseline: memory that grows with the number of tasks
served shows as a ratio above 1.

The goal is about the bridge, so the figure is `mjrelay up` alone. With no real account,
`mjrelay up` starts the sandbox inside itself, and the sandbox, like Discord, remembers recent
jobs up to fixed bounds (`app/sandbox/bounds.py`: 128 MiB of CDN attachments, 1,000 messages per
channel, …): filling those is expected growth of a stand-in for Discord, not of the relay, and
alone would take most of a 1.2× budget. So the bench runs the sandbox as its own process and
gives `mjrelay up` its accounts (`MJRELAY_ACCOUNTS` with the sandbox's `api_base`), as with a
real Discord; the sandbox's RSS is reported in a column of its own, so its growth shows
apart. `mjrelay up` runs through `bench/memory/traced.py`, which after each wave reports
its Python heap (allocated blocks, live objects per type) and glibc's bytes in use and free but
kept, so growth of objects shows apart from memory the allocator holds; with `--profile` it also
runs under tracemalloc from the second wave on and the tracebacks that grew most are listed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import text

from bench import product
from bench.e2e.scenario import SandboxProcess
from bench.harness import BenchContext
from bench.memory.traced import TRACE_VARIABLE, grown_types, top_growth
from bench.plots import pyplot, save
from bench.product import free_port, log_dir
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target
from db.engine import make_engine

TITLE = "Memory of mjrelay up over 10,000 tasks"
CHECKPOINTS = {"full": (100, 500, 1_000, 2_500, 5_000, 7_500, 10_000), "smoke": (20, 60)}
# For exploring only (the reported figure is the full run's): other checkpoints, comma-separated.
CHECKPOINTS_VARIABLE = "MJRELAY_BENCH_MEMORY_TASKS"
# No wave starts after this (a loaded machine may not reach 10,000): the figure is then the last
# wave reached, and a note says so.
WAVES_BUDGET_S = {"full": 1800.0, "smoke": 120.0}
IN_FLIGHT = 200  # submits at once
SANDBOX_ACCOUNTS = 10
TARGET = 1.2
# tasks, RSS MiB of up, of the sandbox, seconds, failed, up's heap (bench/memory/traced.py)
Reading = tuple[int, float, float, float, int, dict[str, Any]]


def _rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def _submit(client: httpx.AsyncClient, hook: str, first: int, count: int) -> int:
    """Submit `count` imagines (prompt numbers from `first`); how many were refused."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    refused = 0

    async def one(n: int) -> None:
        nonlocal refused
        async with gate:
            body = {"prompt": f"memory {n} a quiet harbour", "notifyHook": hook}
            reply = await client.post("/mj/submit/imagine", json=body)
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


def _checkpoints(ctx: BenchContext) -> tuple[int, ...]:
    chosen = os.environ.get(CHECKPOINTS_VARIABLE, "").strip()
    if chosen:
        return tuple(int(n) for n in chosen.split(","))
    return CHECKPOINTS["smoke" if ctx.scale == "smoke" else "full"]


def _accounts_json(accounts: list, base_url: str) -> str:
    """The sandbox's accounts as MJRELAY_ACCOUNTS (what the built-in sandbox would register)."""
    return json.dumps([
        {"token": a.token, "guild_id": a.guild_id, "channel_id": a.channel_id,
         "bots": ["mj", "niji", "pika"], "concurrency": 3, "task_timeout_s": 120,
         "api_base": f"{base_url}/api/v9"}
        for a in accounts
    ])  # fmt: skip


class _Heap:
    """What `mjrelay up` (run through `bench/memory/traced.py`) says of its heap, on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counts: list[dict[str, Any]] = []

    async def read(self, pid: int) -> dict[str, Any]:
        number = len(self.counts)
        os.kill(pid, signal.SIGUSR2)
        deadline = time.monotonic() + 300
        while not (self.folder / f"{number}.done").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("mjrelay up did not describe its heap")
            await asyncio.sleep(0.2)
        self.counts.append(json.loads((self.folder / f"{number}.json").read_text()))
        return self.counts[-1]

    def snapshots(self) -> list[Path]:
        return sorted(self.folder.glob("*.snap"), key=lambda p: int(p.stem))


@scenario("memory", TITLE, budget_s=1900)
async def run(ctx: BenchContext) -> ScenarioResult:
    started = time.monotonic()
    checkpoints = _checkpoints(ctx)
    summary = "\n\n".join(p.replace("\n", " ") for p in __doc__.split("\n\n")[1:3])
    result = ScenarioResult("memory", TITLE, summary)
    logs = log_dir("memory")
    template = await product.migrated_template(ctx)
    readings: list[Reading] = []
    heap = _Heap(logs / "heap")
    heap.folder.mkdir()
    sandbox = SandboxProcess(
        product.python_module(
            "sandbox", "bench.e2e.sandbox_proc",
            [str(free_port()), str(SANDBOX_ACCOUNTS), str(logs / "sandbox.json")],
            dict(os.environ), logs,
        ),
        logs / "sandbox.json",
    )  # fmt: skip
    receiver = await product.Receiver().start()
    try:
        accounts, base_url = await sandbox.accounts()
        async with ctx.database("memory", template) as url:
            port = free_port()
            env = product.product_env(
                url, PORT=str(port), MJRELAY_HOST="127.0.0.1",
                MJRELAY_ACCOUNTS=_accounts_json(accounts, base_url),
                MJRELAY_CALLBACK_ALLOWLIST="127.0.0.1",
            )  # fmt: skip
            if ctx.profile:
                env[TRACE_VARIABLE] = "1"
            argv = [str(heap.folder), "up"]
            up = product.python_module("up", "bench.memory.traced", argv, env, logs)
            try:
                await product.wait_until_ready(port, up, timeout_s=90)
                waves = _Waves(ctx, port, url, up, sandbox, receiver.url(), heap)
                await waves.run(checkpoints, result, readings)
            finally:
                await up.stop(timeout_s=20)
    finally:
        await sandbox.proc.stop(timeout_s=10)
        await receiver.close()
    result.notes.append(f"Callbacks received by the loopback receiver: {len(receiver.hits):,}.")
    first, last = readings[0], readings[-1]
    result.figures.append(
        Figure(f"RSS after {last[0]:,} tasks", last[1], "MiB", f"RSS after {first[0]:,} tasks",
               first[1], Target(f"≤ {TARGET}×", TARGET, on="ratio", higher_is_better=False))
    )  # fmt: skip
    result.notes += growth_notes(readings) + heap_notes(readings)
    if len(heap.snapshots()) >= 2:
        result.notes.append(_traced_note(heap.snapshots()))
    result.tables.append(_table(readings))
    result.plots = _plot(ctx, readings)
    result.elapsed_s = time.monotonic() - started
    return result


@dataclass
class _Waves:
    ctx: BenchContext
    port: int
    url: str
    up: product.Process
    sandbox: SandboxProcess
    hook: str
    heap: _Heap

    async def run(
        self, checkpoints: tuple[int, ...], result: ScenarioResult, readings: list[Reading]
    ) -> None:
        started = time.monotonic()
        budget_s = WAVES_BUDGET_S["smoke" if self.ctx.scale == "smoke" else "full"]
        bar = self.ctx.progress(checkpoints[-1], "memory", unit="task")
        base = f"http://127.0.0.1:{self.port}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            done = 0
            for checkpoint in checkpoints:
                if time.monotonic() - started > budget_s:
                    result.notes.append(
                        f"Stopped after {done:,} tasks: the waves' budget ({budget_s:.0f} s) ran"
                        f" out before {checkpoint:,}."
                    )
                    break
                refused = await _submit(client, self.hook, done, checkpoint - done)
                if refused:
                    result.notes.append(f"{refused} submits refused before {checkpoint:,}")
                failed = await _until_finished(self.url, checkpoint - refused, self.up)
                bar.update(checkpoint - done)
                done = checkpoint
                counts = await self.heap.read(self.up.pid)
                readings.append((checkpoint, _rss_mib(self.up.pid),
                                 _rss_mib(self.sandbox.proc.pid),
                                 time.monotonic() - started, failed, counts))  # fmt: skip
        bar.close()


def _table(readings: list[Reading]) -> Table:
    def mib(value: int | None) -> str:
        return f"{value / 2**20:.0f}" if value is not None else "–"

    return Table(
        "RSS after each wave, and what the heap of mjrelay up holds",
        ("tasks finished", "mjrelay up RSS, MiB", "sandbox process RSS, MiB",
         "Python heap blocks (thousands)", "malloc in use, MiB", "malloc free but kept, MiB",
         "seconds since start", "failed"),
        tuple((f"{n:,}", f"{rss:.0f}", f"{sb:.0f}", f"{h['blocks'] / 1000:,.0f}",
               mib(h["malloc_in_use"]), mib(h["malloc_free"]), f"{s:.0f}", str(f))
              for n, rss, sb, s, f, h in readings),
    )  # fmt: skip


def heap_notes(readings: list[Reading]) -> list[str]:
    """Which live objects grew from the second wave to the last (the first is warm-up)."""
    if len(readings) < 3:
        return []
    (n0, *_, before), (n1, *_, after) = readings[1], readings[-1]
    grown = grown_types(before["objects"], after["objects"])
    blocks = after["blocks"] - before["blocks"]
    return [
        f"From {n0:,} to {n1:,} tasks the Python heap of mjrelay up changed by {blocks:+,} "
        f"blocks ({blocks / (n1 - n0):+.1f} per task); the live objects whose count grew most: "
        + (", ".join(grown) if grown else "none")
        + "."
    ]


def _traced_note(snapshots: list[Path]) -> str:
    lines = top_growth(snapshots[0], snapshots[-1], top=15)
    return (
        "Run with `--profile`, under tracemalloc from the second wave on (RSS then includes "
        "tracemalloc's own records): the tracebacks whose live allocations grew most until the "
        "last wave (innermost first):\n\n```\n" + "\n".join(lines) + "\n```"
    )


def growth_notes(readings: list[Reading]) -> list[str]:
    """Where the growth of a missed target went: Python objects, or memory glibc keeps."""
    (n0, rss0, *_, h0), (n1, rss1, *_, h1) = readings[0], readings[-1]
    if n1 == n0 or rss1 <= rss0 * TARGET:
        return []
    per_task_kib = (rss1 - rss0) * 1024 / (n1 - n0)
    note = (
        f"RSS of mjrelay up grew by {per_task_kib:,.1f} KiB per task from {n0:,} to {n1:,} "
        f"tasks ({rss1 - rss0:,.0f} MiB); its Python heap by {h1['blocks'] - h0['blocks']:+,} "
        "blocks"
    )
    if h0["malloc_in_use"] is not None and h1["malloc_in_use"] is not None:
        in_use = (h1["malloc_in_use"] - h0["malloc_in_use"]) / 2**20
        kept = (h1["malloc_free"] - h0["malloc_free"]) / 2**20
        note += f", glibc's bytes in use by {in_use:+,.0f} MiB, free but kept {kept:+,.0f} MiB"
    return [note + ". `--profile` lists the tracebacks that grew (tracemalloc)."]


def _plot(ctx: BenchContext, readings: list[Reading]) -> list:
    plt = pyplot()
    if plt is None:
        return []
    fig, axis = plt.subplots(figsize=(6, 3.2))
    tasks = [r[0] for r in readings]
    axis.plot(tasks, [r[1] for r in readings], marker="o", label="mjrelay up")
    axis.plot(tasks, [r[2] for r in readings], marker=".", label="sandbox (own process)")
    axis.axhline(readings[0][1] * TARGET, color="grey", linestyle="--", label=f"{TARGET}× first")
    axis.set_xlabel("tasks finished")
    axis.set_ylabel("RSS, MiB")
    axis.set_ylim(bottom=0)
    axis.legend()
    return [save(fig, ctx.plots_dir, "memory-rss.png")]
