"""Run scenarios and rewrite docs/benchmarks.md. `python -m bench --help` for the options."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench import machine, report
from bench.harness import BenchContext, Scale, Server, embedded_server
from bench.product import drop_template
from bench.registry import load_scenarios, pending
from bench.results import ScenarioResult

BUDGET_S = 15 * 60


async def run_bench(
    server: Server,
    names: Sequence[str],
    *,
    scale: Scale = "full",
    out_dir: Path = Path("docs"),
    progress: bool = True,
    profile: bool = False,
    merge: bool = False,
) -> list[ScenarioResult]:
    """Run the named scenarios in order and write `<out_dir>/benchmarks.md`.

    `merge`: replace only these scenarios' sections of the existing page (see `report.merge`).
    """
    scenarios = load_scenarios()
    ctx = BenchContext(server, scale, out_dir, progress, profile, BUDGET_S)
    facts = await machine.facts(server.url)
    load_before = _load()
    results = []
    try:
        for name in names:
            scenario = scenarios[name]
            if ctx.remaining_s() < scenario.budget_s:
                print(
                    f"bench: {name} may overrun the {BUDGET_S // 60}-minute budget", file=sys.stderr
                )
            results.append(await scenario.run(ctx))
    finally:
        await drop_template(ctx)
    total = time.monotonic() - ctx.started
    facts.append(("load average", f"{load_before} at start, {_load()} at end (1, 5, 15 min)"))
    page = out_dir / "benchmarks.md"
    if merge and page.exists():
        facts_text = ", ".join(f"{k} {v}" for k, v in facts if k in ("date", "commit"))
        facts_text += f", load average {load_before} at start"
        text = report.merge(page.read_text(), results, list(scenarios), facts_text)
    else:
        text = report.render(results, facts, pending(), total)
    report.write(page, text)
    return results


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _print(results: Sequence[ScenarioResult]) -> None:
    for result in results:
        print(f"{result.title}: {result.elapsed_s:.0f} s")
        for f in result.figures:
            against = (
                f" vs {f.baseline} {f.baseline_value:,.0f} = {f.ratio:.2f}×" if f.ratio else ""
            )
            target = f"  target {f.target.text}: {'met' if f.met else 'MISSED'}" if f.target else ""
            print(f"  {f.measure}: {f.ours:,.0f} {f.unit}{against}{target}")


def main(argv: Sequence[str] | None = None) -> int:
    names = list(load_scenarios())
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scenario", action="append", choices=names, help="default: all")
    parser.add_argument("--scale", choices=("full", "smoke"), default="full")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="where benchmarks.md goes")
    parser.add_argument("--profile", action="store_true", help="profile even when targets are met")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--merge", action="store_true", help="replace only these scenarios' sections of the page"
    )
    args = parser.parse_args(argv)
    with embedded_server() as server:
        results = asyncio.run(
            run_bench(
                server,
                args.scenario or names,
                scale=args.scale,
                out_dir=args.out,
                progress=not args.no_progress,
                profile=args.profile,
                merge=args.merge,
            )
        )
    _print(results)
    print(f"bench: wrote {args.out / 'benchmarks.md'}")
    return 0
