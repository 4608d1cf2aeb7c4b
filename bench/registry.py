"""The scenario registry. A scenario is an async function of a BenchContext, registered by name.

To add one: write `bench/<name>/scenario.py` (or `bench/<name>.py`) with

    @scenario("name", "Title", budget_s=120)
    async def run(ctx: BenchContext) -> ScenarioResult: ...

and list its module in `SCENARIO_MODULES`. `python -m bench --scenario name` runs it alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.harness import BenchContext
    from bench.results import ScenarioResult

ScenarioFn = Callable[["BenchContext"], Awaitable["ScenarioResult"]]

# Modules that register scenarios, in the order `make bench` runs them.
SCENARIO_MODULES = (
    "bench.lease.scenario",
    "bench.callbacks.scenario",
    "bench.http.scenario",
    "bench.web_processes.scenario",
    "bench.files.scenario",
    "bench.sandbox.scenario",
    "bench.e2e.scenario",
    "bench.webman.scenario",
    "bench.memory.scenario",
)

# Issue 9's scenarios not built yet; each drops off this list once registered under its name.
# The chaos suite is not a scenario: `make chaos` (bench/chaos) writes docs/reliability.md.
PLANNED = {
    "callbacks": "Callback latency, state change → loopback receiver (NOTIFY and poll-only)",
    "http": "HTTP fetch req/s vs a bare Starlette JSON endpoint; submit req/s",
    "e2e": "Submit → SUCCESS overhead against the sandbox; scaling over 1, 2, 4 workers",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: ScenarioFn
    budget_s: float


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, title: str, *, budget_s: float) -> Callable[[ScenarioFn], ScenarioFn]:
    """Register `fn` as scenario `name`; `budget_s` is its share of the 15-minute budget."""

    def register(fn: ScenarioFn) -> ScenarioFn:
        if name in SCENARIOS and SCENARIOS[name].run is not fn:
            raise ValueError(f"scenario {name!r} registered twice")
        SCENARIOS[name] = Scenario(name, title, fn, budget_s)
        return fn

    return register


def load_scenarios() -> dict[str, Scenario]:
    for module in SCENARIO_MODULES:
        importlib.import_module(module)
    return SCENARIOS


def pending() -> dict[str, str]:
    return {name: title for name, title in PLANNED.items() if name not in SCENARIOS}
