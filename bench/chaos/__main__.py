"""`python -m bench.chaos [--scale smoke] [--out docs]`: the chaos suite → reliability.md."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bench.chaos.report import write_report
from bench.chaos.run import SMOKE, ChaosParams, run_chaos
from bench.harness import BenchContext, embedded_server
from bench.product import drop_template


async def _main(ctx: BenchContext, params: ChaosParams) -> int:
    try:
        out = await run_chaos(ctx, params)
    finally:
        await drop_template(ctx)
    path = write_report(ctx, out)
    failed = [f for f in out_figures(out) if f.met is False]
    print(f"chaos: {out.elapsed_s:.0f} s, {len(out.kills)} kills, {len(out.acknowledged)} tasks")
    for f in out_figures(out):
        verdict = "" if f.met is None else ("ok" if f.met else "FAILED")
        print(f"  {f.measure}: {f.ours:g} {f.unit}  {verdict}")
    print(f"chaos: wrote {path}")
    return 1 if failed else 0


def out_figures(out):  # type: ignore[no-untyped-def]
    from bench.chaos.run import figures

    return figures(out)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--scale", choices=("full", "smoke"), default="full")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    params = ChaosParams() if args.scale == "full" else SMOKE
    with embedded_server() as server:
        ctx = BenchContext(server, args.scale, args.out, not args.no_progress)
        return asyncio.run(_main(ctx, params))


if __name__ == "__main__":
    sys.exit(main())
