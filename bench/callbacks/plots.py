"""The callbacks scenario's plot: latency distributions (CDF) of every run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bench.harness import BenchContext
from bench.plots import pyplot, save

if TYPE_CHECKING:
    from bench.callbacks.scenario import Run

STYLE = {
    ("mjrelay", "NOTIFY"): ("#1f77b4", "-"),
    ("bare", "NOTIFY"): ("#7f7f7f", "-"),
    ("mjrelay", "poll-only"): ("#1f77b4", "--"),
    ("bare", "poll-only"): ("#7f7f7f", "--"),
}


def draw(ctx: BenchContext, runs: list[Run]) -> list[Path]:
    plt = pyplot()
    if plt is None or not any(r.latencies_ms for r in runs):
        return []
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for r in runs:
        if not r.latencies_ms:
            continue
        xs = sorted(max(v, 0.01) for v in r.latencies_ms)
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        colour, line = STYLE.get((r.system, r.mode), ("#2ca02c", "-"))
        ax.plot(xs, ys, color=colour, linestyle=line, linewidth=1.3,
                label=f"{r.label}: p50 {r.p(50):.1f}, p99 {r.p(99):.1f} ms")  # fmt: skip
    for target, name in ((10, "p50 target"), (50, "p99 target"), (1000, "poll p99 target")):
        ax.axvline(target, color="red", linestyle=":", linewidth=0.8)
        ax.text(target, 0.02, f" {name}", color="red", fontsize=7, rotation=90, va="bottom")
    ax.set_xscale("log")
    ax.set_xlabel("COMMIT of the change → request at the receiver (ms, log scale)")
    ax.set_ylabel("share of changes")
    ax.set_title("Callback latency, cumulative distribution")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="both", alpha=0.2)
    path = save(fig, ctx.plots_dir, "callbacks-latency.png")
    plt.close("all")
    return [path]
