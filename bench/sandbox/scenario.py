"""Scenario `sandbox`: the sandbox's own ceiling, imagine jobs/s at `instant` speed, no mjrelay.

One sandbox process (`bench/e2e/sandbox_proc.py`, as the e2e scenario runs it: 10 accounts in one
guild, 10 jobs at once per account, the REST rate limit out of the way) and a minimal client
(`bench/sandbox/client.py`) in this process over real sockets: per job `POST /interactions`, the
gateway's dispatches up to the final message, and the image from the CDN. Rounds alternate
between prompts all distinct (every picture drawn) and 16 prompts over and over (pictures from
the render cache). The ceiling is jobs per CPU-second of the sandbox process: what it serves on
one core, whatever the load generator beside it costs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import statistics
import time
from pathlib import Path

import psutil

from app.sandbox import SandboxAccount
from bench import product, profiles
from bench.harness import BenchContext
from bench.product import free_port, log_dir
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target
from bench.sandbox.client import AccountClient

TARGET_JOBS_PER_CORE_S = 300.0
REPEATED_PROMPTS = 16


@dataclasses.dataclass(frozen=True)
class Params:
    accounts: int
    lanes: int  # jobs at once per account
    seconds: float  # per round
    rounds: int  # per kind of prompts


FULL = Params(accounts=10, lanes=10, seconds=8.0, rounds=2)
SMOKE = Params(accounts=2, lanes=2, seconds=1.0, rounds=1)
KINDS = ("distinct", "repeated")


@dataclasses.dataclass
class Round:
    kind: str
    index: int
    jobs: int
    wall_s: float
    sandbox_cpu_s: float
    client_cpu_s: float
    frames: int
    image_bytes: int

    @property
    def per_core(self) -> float:
        return self.jobs / self.sandbox_cpu_s if self.sandbox_cpu_s else 0.0

    @property
    def rate(self) -> float:
        return self.jobs / self.wall_s if self.wall_s else 0.0


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _round(kind: str, index: int, clients: list[AccountClient], params: Params,
                 sandbox: psutil.Process, counter: itertools.count[int]) -> Round:  # fmt: skip
    done = 0  # jobs started before the window closed, all finished
    stop = asyncio.Event()

    def prompt() -> str:
        n = next(counter)
        return f"a lighthouse at dusk {n % REPEATED_PROMPTS if kind == 'repeated' else n}"

    async def lane(client: AccountClient) -> None:
        nonlocal done
        http = client.lane()
        while not stop.is_set():
            await client.imagine(http, prompt())
            done += 1

    frames, image_bytes = sum(c.frames for c in clients), sum(c.image_bytes for c in clients)
    me = psutil.Process()
    cpu0, me0, started = _cpu(sandbox), _cpu(me), time.monotonic()
    lanes = [asyncio.create_task(lane(c)) for c in clients for _ in range(params.lanes)]
    try:
        await asyncio.sleep(params.seconds)
    finally:
        stop.set()  # every lane finishes the job it is on: all of them count, and their time
        await asyncio.wait_for(asyncio.gather(*lanes), 120)
    return Round(
        kind, index, done, time.monotonic() - started, _cpu(sandbox) - cpu0, _cpu(me) - me0,
        sum(c.frames for c in clients) - frames, sum(c.image_bytes for c in clients) - image_bytes,
    )  # fmt: skip


async def _start(params: Params, logs: Path) -> tuple[product.Process, list[AccountClient]]:
    out = logs / "sandbox.json"
    out.unlink(missing_ok=True)
    argv = [str(free_port()), str(params.accounts), str(out)]
    proc = product.python_module("sandbox", "bench.e2e.sandbox_proc", argv, dict(os.environ), logs)
    deadline = time.monotonic() + 30
    while not out.exists():
        if not proc.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the sandbox did not start; see {proc.log_path}")
        await asyncio.sleep(0.05)
    data = json.loads(out.read_text())
    accounts = [SandboxAccount(**a) for a in data["accounts"]]
    clients = [AccountClient(data["base_url"], account) for account in accounts]
    for client in clients:
        await client.connect()
    return proc, clients


@scenario("sandbox", "Sandbox capacity (imagine at instant speed)", budget_s=60)
async def run(ctx: BenchContext) -> ScenarioResult:
    params = FULL if ctx.scale == "full" else SMOKE
    started = time.monotonic()
    result = ScenarioResult("sandbox", "Sandbox capacity (imagine at instant speed)", _summary())
    logs = log_dir("sandbox")
    raw = logs / "sandbox.pyspy.txt"
    proc, clients = await _start(params, logs)
    rounds: list[Round] = []
    counter = itertools.count()
    try:
        sandbox = psutil.Process(proc.pid)
        warm = [c.imagine(c.lane(), f"warm up {i}") for i, c in enumerate(clients)]
        await asyncio.gather(*warm)
        bar = ctx.progress(params.rounds * len(KINDS), "sandbox", unit="round")
        for index, kind in itertools.product(range(params.rounds), KINDS):
            spy = None
            if (index, kind, ctx.scale) == (params.rounds - 1, "distinct", "full"):
                spy = profiles.record(proc.pid, params.seconds, raw)
            rounds.append(await _round(kind, index, clients, params, sandbox, counter))
            profiles.finish(spy)
            bar.set_postfix_str(f"{kind} {rounds[-1].per_core:,.0f} jobs/core-s")
            bar.update(1)
        bar.close()
    finally:
        for client in clients:
            await client.aclose()
        await proc.stop()
    result.figures = figures(rounds)
    result.tables.append(rounds_table(rounds))
    result.plots = _plot(ctx, rounds)
    profile = profiles.summary(raw, "sandbox process, imagine with distinct prompts")
    if profile:
        (ctx.plots_dir / "sandbox-profile.txt").write_text(profile)
    result.notes += notes(rounds, params, raw if profile else None)
    result.elapsed_s = time.monotonic() - started
    return result


def _median(rounds: list[Round], kind: str, key: str) -> float:
    values = [getattr(r, key) for r in rounds if r.kind == kind]
    return statistics.median(values) if values else 0.0


def figures(rounds: list[Round]) -> list[Figure]:
    target = Target(f"≥ {TARGET_JOBS_PER_CORE_S:,.0f} jobs/s", TARGET_JOBS_PER_CORE_S)
    cached = "same 16 prompts again (pictures from the cache)"
    return [
        Figure("imagine jobs per sandbox CPU-second (one core), distinct prompts",
               _median(rounds, "distinct", "per_core"), "jobs/s", cached,
               _median(rounds, "repeated", "per_core"), target),
        Figure("imagine jobs/s served (wall clock, client on the other core), distinct prompts",
               _median(rounds, "distinct", "rate"), "jobs/s", cached,
               _median(rounds, "repeated", "rate")),
    ]  # fmt: skip


def rounds_table(rounds: list[Round]) -> Table:
    rows = tuple(
        (r.kind, str(r.index + 1), f"{r.jobs:,}", f"{r.wall_s:.1f}", f"{r.rate:,.0f}",
         f"{r.sandbox_cpu_s / max(1, r.jobs) * 1000:.2f}", f"{r.per_core:,.0f}",
         f"{r.client_cpu_s / max(1, r.jobs) * 1000:.2f}", f"{r.frames / max(1, r.jobs):.0f}",
         f"{r.image_bytes / max(1, r.jobs) / 1024:.1f}")
        for r in rounds
    )  # fmt: skip
    headers = ("prompts", "round", "jobs", "seconds", "jobs/s", "sandbox CPU ms/job",
               "jobs per sandbox CPU-s", "client CPU ms/job", "frames/job received",
               "image KiB")  # fmt: skip
    return Table("Every round", headers, rows)


def _plot(ctx: BenchContext, rounds: list[Round]) -> list[Path]:
    from bench.plots import pyplot, save

    plt = pyplot()
    if plt is None or not rounds:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    labels = [f"{r.kind} #{r.index + 1}" for r in rounds]
    values = [r.per_core for r in rounds]
    colours = ["#1f77b4" if r.kind == "distinct" else "#9ecae1" for r in rounds]
    ax.bar(range(len(rounds)), values, color=colours)
    for x, y in enumerate(values):
        ax.text(x, y, f"{y:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(TARGET_JOBS_PER_CORE_S, color="#d62728", linestyle="--", linewidth=1)
    ax.text(len(rounds) - 0.5, TARGET_JOBS_PER_CORE_S, "target", color="#d62728", fontsize=8,
            ha="right", va="bottom")  # fmt: skip
    ax.set_xticks(range(len(rounds)), labels, fontsize=8)
    ax.set_ylabel("jobs per sandbox CPU-second")
    ax.set_title("Sandbox ceiling: imagine at instant speed, one process")
    path = save(fig, ctx.plots_dir, "sandbox-capacity.png")
    plt.close("all")
    return [path]


def _summary() -> str:
    return (
        "The sandbox alone, no mjrelay: one sandbox process at `instant` speed (10 accounts in"
        " one guild, each account's bot running 10 jobs at once, as in the e2e scenario) and a"
        " minimal client in the bench process (`bench/sandbox/client.py`: a gateway socket per"
        " account, keep-alive HTTP/1.1 over asyncio streams) keeping 10 imagines in flight per"
        " account. A job is `POST /interactions`, every dispatch up to its final message, and the"
        " final image downloaded from the CDN. Rounds alternate between distinct prompts (every"
        f" picture drawn) and the same {REPEATED_PROMPTS} prompts over and over (pictures from the"
        " render cache). **jobs per sandbox CPU-second** is the one-core ceiling; jobs/s is what"
        " this 2-core machine served with the client on the other core."
    )


def notes(rounds: list[Round], params: Params, raw: Path | None) -> list[str]:
    found = []
    distinct = [r for r in rounds if r.kind == "distinct"]
    if distinct:
        ms = statistics.median(r.sandbox_cpu_s / max(1, r.jobs) * 1000 for r in distinct)
        client = statistics.median(r.client_cpu_s / max(1, r.jobs) * 1000 for r in distinct)
        found.append(
            f"Distinct prompts: the sandbox spends {ms:.2f} ms of CPU per job, the client"
            f" {client:.2f} ms. Every message goes to all {params.accounts} accounts' sockets"
            " (one guild, as on Discord), so a job's frames are sent once per account."
        )
    if raw is not None:
        shares = {
            "drawing and encoding pictures": profiles.share(raw, "render_cache.py"),
            "gateway writes (every dispatch to every account's socket)": profiles.share(
                raw, "write_loop"
            ),
            "HTTP requests (REST, CDN)": profiles.share(raw, "httptools_impl.py"),
            "JSON encoding": profiles.share(raw, "json/"),
        }
        split = "; ".join(f"{name} {share:.0%}" for name, share in shares.items())
        found.append(
            f"Where the sandbox's samples were (distinct prompts): {split}. Profile:"
            " [bench/sandbox-profile.txt](bench/sandbox-profile.txt)."
        )
    return found
