"""The lease scenario's plots: throughput per system, throughput over time, CPU per lease."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench.harness import BenchContext
from bench.lease.workload import RunResult
from bench.plots import color, pyplot, save

BIN_S = 0.25


def draw(ctx: BenchContext, results: list[RunResult], target: float) -> list[Path]:
    plt = pyplot()
    if plt is None or not results:
        return []
    by_system: dict[str, list[RunResult]] = {}
    for result in results:
        by_system.setdefault(result.system, []).append(result)
    paths = [
        _throughput(plt, ctx, by_system, target),
        _timeline(plt, ctx, by_system),
    ]
    if all(r.cpu is not None and r.cpu.server_s is not None for r in results):
        paths.append(_cpu(plt, ctx, by_system))
    plt.close("all")
    return paths


def _median_run(runs: list[RunResult]) -> RunResult:
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def _throughput(plt: Any, ctx: BenchContext, by: dict[str, list[RunResult]], target: float) -> Path:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    names = list(by)
    medians = [statistics.median(r.rate for r in by[n]) for n in names]
    ax.bar(names, medians, color=[color(n) for n in names], alpha=0.8, label="median run")
    for i, name in enumerate(names):
        rates = [r.rate for r in by[name]]
        ax.scatter([i] * len(rates), rates, color="black", s=12, zorder=3)
    ax.axhline(target, color="red", linestyle="--", linewidth=1, label=f"target {target:,.0f}/s")
    ax.set_ylabel("leases/s (claim + complete)")
    ax.set_title("Lease throughput; dots are single runs")
    ax.legend(loc="upper right", fontsize=8)
    return save(fig, ctx.plots_dir, "lease-throughput.png")


def _binned(run: RunResult) -> tuple[list[float], list[float]]:
    bins: dict[int, int] = {}
    for t, n in run.timeline:
        bins[int(t / BIN_S)] = bins.get(int(t / BIN_S), 0) + n
    last = max(bins, default=0)
    xs = [(i + 0.5) * BIN_S for i in range(last + 1)]
    return xs, [bins.get(i, 0) / BIN_S for i in range(last + 1)]


def _timeline(plt: Any, ctx: BenchContext, by: dict[str, list[RunResult]]) -> Path:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for name, runs in by.items():
        xs, ys = _binned(_median_run(runs))
        ax.plot(xs, ys, label=name, color=color(name), linewidth=1.2)
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel(f"leases/s ({BIN_S:g} s bins)")
    ax.set_title("Throughput over the median run of each system")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return save(fig, ctx.plots_dir, "lease-timeline.png")


def _cpu(plt: Any, ctx: BenchContext, by: dict[str, list[RunResult]]) -> Path:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    names = list(by)
    client = [statistics.median(r.cpu.client_s * 1e6 / r.leases for r in by[n]) for n in names]
    server = [statistics.median(r.cpu.server_s * 1e6 / r.leases for r in by[n]) for n in names]
    ax.bar(names, client, label="client process (Python)", color="#9467bd")
    ax.bar(names, server, bottom=client, label="PostgreSQL processes", color="#8c564b")
    ax.set_ylabel("CPU µs per lease")
    ax.set_title("Where the CPU goes, per claim + complete")
    ax.legend(fontsize=8)
    return save(fig, ctx.plots_dir, "lease-cpu.png")
