"""Scenario `webman`: mjrelay beside the real webman/midjourney (PHP) on the same sandbox.

The peer is external and optional: `MJRELAY_BENCH_PEERS` names a folder holding `webman/` (its
setup and run scripts) and `side_by_side.py`, the comparison tool that starts a fresh
`mjrelay sandbox` (10 accounts, 3 jobs each), points each system at it with the same accounts,
submits imagines at once with a notify URL and records every final callback. This scenario runs
that tool from this checkout, once per burst size (100 and 500 at once), and turns its JSON into
figures with ratios; nothing of the peer is copied here. Without the folder, PHP, or the peer's
setup, the section says `skipped:` and why.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import BenchContext
from bench.plots import pyplot, save
from bench.product import ROOT, log_dir
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target

PEERS_VARIABLE = "MJRELAY_BENCH_PEERS"
PEER_SETUP_STAMP = Path(os.environ.get("WEBMAN_PEER_DIR", "/tmp/peers/webman")) / "vendor"
BURSTS = {"full": (100, 500), "smoke": (10,)}
TITLE = "Side by side with webman/midjourney (PHP)"


def why_skipped(peers: str | None) -> str | None:
    """None when the peer can run; else the reason."""
    if not peers:
        return f"{PEERS_VARIABLE} is not set (a folder with webman/ and side_by_side.py)"
    folder = Path(peers)
    if not (folder / "side_by_side.py").is_file() or not (folder / "webman" / "run.sh").is_file():
        return f"{folder} has no side_by_side.py and webman/run.sh"
    if shutil.which("php") is None:
        return "PHP is not installed (`bash <peers>/webman/setup.sh` installs php-cli and the peer)"
    if not PEER_SETUP_STAMP.is_dir():
        return f"the peer is not set up ({PEER_SETUP_STAMP} missing: run <peers>/webman/setup.sh)"
    return None


def summary(bursts: tuple[int, ...]) -> str:
    sizes = " and ".join(str(n) for n in bursts)
    return (
        f"`side_by_side.py` from `${PEERS_VARIABLE}`: a fresh `mjrelay sandbox` at `instant` "
        "speed with 10 accounts (3 jobs at once each) per system; mjrelay as `mjrelay up` (one "
        "process, its default settings but the accounts) and webman as its one Workerman "
        f"process, with the same 10 accounts; {sizes} imagines at once, one run each, webman "
        "first. Completed tasks/s over the burst (refused or unfinished tasks count as not "
        "completed), submit → final callback latency, tasks never finished (stuck), finished "
        "without a final callback (lost), the bridge's CPU per task and peak RSS."
    )


async def _side_by_side(peers: Path, tasks: int, out: Path, log: Path) -> list[dict[str, Any]]:
    argv = [sys.executable, str(peers / "side_by_side.py"), str(ROOT), "--tasks", str(tasks),
            "--rounds", "1", "--accounts", "10", "--out", str(out)]  # fmt: skip
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(*argv, stdout=sink, stderr=sink, cwd=ROOT)
        try:
            async with asyncio.timeout(1200):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
    return _read_rows(proc.returncode, out, log)


def _read_rows(returncode: int | None, out: Path, log: Path) -> list[dict[str, Any]]:
    if returncode != 0 or not out.exists():
        raise RuntimeError(f"side_by_side.py exited {returncode}: see {log}")
    rows: list[dict[str, Any]] = json.loads(out.read_text())
    return rows


def _burst(rows: list[dict[str, Any]], system: str) -> dict[str, Any]:
    return next(r["burst"] for r in rows if r.get("system") == system and "burst" in r)


@scenario("webman", TITLE, budget_s=600)
async def run(ctx: BenchContext) -> ScenarioResult:
    started = time.monotonic()
    bursts = BURSTS["smoke" if ctx.scale == "smoke" else "full"]
    result = ScenarioResult("webman", TITLE, summary(bursts))
    peers = os.environ.get(PEERS_VARIABLE)
    reason = why_skipped(peers)
    if reason or peers is None:
        result.notes.append(f"skipped: {reason}")
        return result
    logs = log_dir("webman")
    measured: dict[int, list[dict[str, Any]]] = {}
    for tasks in bursts:
        measured[tasks] = await _side_by_side(
            Path(peers), tasks, logs / f"side_by_side-{tasks}.json", logs / f"run-{tasks}.log"
        )
    fill(result, measured)
    result.plots = _plot(ctx, measured)
    result.elapsed_s = time.monotonic() - started
    return result


def fill(result: ScenarioResult, measured: dict[int, list[dict[str, Any]]]) -> None:
    """Figures, tables and notes from side_by_side.py's rows, per burst size."""
    for tasks, rows in measured.items():
        ours, peer = _burst(rows, "mjrelay"), _burst(rows, "webman")
        result.figures += figures(tasks, ours, peer)
        result.tables.append(table(tasks, ours, peer))
        result.notes += notes(tasks, ours, peer)


def notes(tasks: int, ours: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    found = []
    refused = tasks - int(peer.get("accepted", tasks))
    if refused:
        found.append(
            f"{tasks} at once: webman accepted {tasks - refused} of {tasks} submits; the other "
            f"{refused} failed at the HTTP client (its 30 s timeout or a dropped connection). A "
            "task never accepted is never completed, so its tasks/s counts as 0 and the ratio "
            "has no value."
        )
    stuck = peer["not_finished"]
    if stuck:
        found.append(
            f"{tasks} at once: at the end {stuck} of the {peer.get('accepted', tasks)} tasks "
            "webman accepted were still not finished by its fetch (it had sent "
            f"{peer['callbacks']} final callbacks): the stuck "
            "tasks of issue 19. Its tasks/s counts only what it finished before the burst ended "
            "for it."
        )
    busy = ours["tasks_per_s"] * ours["cpu_s_per_task"]
    cost = (
        f"{tasks} at once: mjrelay ran {ours['tasks_per_s']:.1f} tasks/s at "
        f"{ours['cpu_s_per_task'] * 1000:.0f} ms of CPU per task, {busy:.2f} of a core in its one "
        "process (`mjrelay up`: web, worker and callback dispatcher on one event loop)"
    )
    if busy >= 0.8:
        found.append(
            f"{cost}: CPU-bound. One process cannot pass ~1,000 / (CPU ms per task) tasks/s, so "
            f"the bridge's CPU per task ({_times(ours, peer)} webman's in this run), not the "
            "sandbox, is the ceiling of this comparison."
        )
    else:
        found.append(
            f"{cost}: not CPU-bound in its own process. Its two cores are shared with "
            "PostgreSQL, the sandbox and the client (the end-to-end section's CPU table has each "
            "one's share per task), so the process waits for a core as well as for its database."
        )
    if ours["p99_s"] > 5 * ours["p50_s"] or ours["p50_s"] > 2:
        found.append(
            f"{tasks} at once: mjrelay's latency is queueing (p50 {ours['p50_s']:.1f} s, p99 "
            f"{ours['p99_s']:.1f} s): 10 accounts × 3 jobs at once drain the burst at the rate "
            "above; webman's p50 counts only the tasks it finished."
        )
    return found


def figures(tasks: int, ours: dict[str, Any], peer: dict[str, Any]) -> list[Figure]:
    at = f"{tasks} at once"
    return [
        Figure(f"completed tasks/s, {at}", ours["tasks_per_s"], "tasks/s", "webman",
               peer["tasks_per_s"], Target("≥ 3×", 3.0, on="ratio")),
        Figure(f"p99 submit → callback vs webman's p50, {at}", ours["p99_s"], "s",
               "webman p50", peer["p50_s"], Target("≤ 1×", 1.0, on="ratio",
                                                  higher_is_better=False)),
        Figure(f"stuck (never finished), {at}", ours["not_finished"], "", "webman",
               peer["not_finished"], Target("0", 0, higher_is_better=False)),
        Figure(f"lost (finished, no final callback), {at}", ours["finished_without_callback"],
               "", "webman", peer["finished_without_callback"],
               Target("0", 0, higher_is_better=False)),
        Figure(f"CPU per task, {at}", ours["cpu_s_per_task"] * 1000, "ms", "webman",
               peer["cpu_s_per_task"] * 1000),
        Figure(f"peak RSS, {at}", ours["rss_mb"], "MiB", "webman", peer["rss_mb"]),
    ]  # fmt: skip


def table(tasks: int, ours: dict[str, Any], peer: dict[str, Any]) -> Table:
    keys = ("accepted", "callbacks", "failed", "not_finished", "finished_without_callback",
            "tasks_per_s", "p50_s", "p90_s", "p99_s", "cpu_s_per_task", "rss_mb")  # fmt: skip
    rows = tuple(
        (name, *(f"{side.get(k, 0):,.2f}" if isinstance(side.get(k), float) else
                 str(side.get(k, "–")) for k in keys))
        for name, side in (("mjrelay", ours), ("webman", peer))
    )  # fmt: skip
    return Table(f"{tasks} imagines at once", ("system", *keys), rows)


def _plot(ctx: BenchContext, measured: dict[int, list[dict[str, Any]]]) -> list[Path]:
    plt = pyplot()
    if plt is None:
        return []
    fig, (rate, latency) = plt.subplots(1, 2, figsize=(10, 3.6))
    sizes = sorted(measured)
    width = 0.38
    for offset, system, colour in (
        (-width / 2, "mjrelay", "#1f77b4"),
        (width / 2, "webman", "#d62728"),
    ):
        xs = [i + offset for i in range(len(sizes))]
        bursts = [_burst(measured[n], system) for n in sizes]
        rate.bar(xs, [b["tasks_per_s"] for b in bursts], width, label=system, color=colour)
        latency.bar(xs, [b["p99_s"] for b in bursts], width, label=f"{system} p99", color=colour)
        latency.scatter(xs, [b["p50_s"] for b in bursts], color="black", zorder=3, s=12)
    for axis, label in ((rate, "completed tasks/s"), (latency, "submit → callback s (dot: p50)")):
        axis.set_xticks(range(len(sizes)), [f"{n} at once" for n in sizes])
        axis.set_ylabel(label)
        axis.legend()
    return [save(fig, ctx.plots_dir, "webman-side-by-side.png")]


def _times(ours: dict[str, Any], peer: dict[str, Any]) -> str:
    """mjrelay's CPU per task as a multiple of webman's, or a dash when webman's is unknown."""
    theirs = peer.get("cpu_s_per_task") or 0.0
    return f"{ours['cpu_s_per_task'] / theirs:.2f}×" if theirs else "–"
