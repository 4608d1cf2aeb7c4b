"""`python -m bench --scenario NAME --merge` replaces only that scenario's section of the page."""

from __future__ import annotations

from bench import report
from bench.results import ScenarioResult

PAGE = """# Benchmarks

intro

## Machine

| | |
|---|---|
| date | then |

Whole run: 5 s.

## Lease (`lease`)

lease text

### Missed targets: the bottleneck measured

- a note

## End to end (`e2e`)

e2e text

## Not measured yet

- `x`: later
"""


def test_merge_replaces_one_section_and_keeps_the_rest() -> None:
    fresh = ScenarioResult("lease", "Lease", "new lease text")
    merged = report.merge(PAGE, [fresh], ["lease", "sandbox", "e2e"], "date now")
    assert merged.count("## Lease (`lease`)") == 1 and "new lease text" in merged
    assert "lease text\n" not in merged.replace("new lease text", "")
    assert "- a note" not in merged  # the old section went whole, its sub-headings too
    assert "| date | then |" in merged and "e2e text" in merged
    assert "run of its own (date now)" in merged
    assert merged.index("## Lease") < merged.index("## End to end") < merged.index("## Not meas")


def test_merge_adds_a_new_section_in_registry_order() -> None:
    fresh = ScenarioResult("sandbox", "Sandbox capacity", "sandbox text")
    merged = report.merge(PAGE, [fresh], ["lease", "sandbox", "e2e"], "date now")
    assert merged.index("## Lease") < merged.index("## Sandbox capacity (`sandbox`)")
    assert merged.index("## Sandbox capacity") < merged.index("## End to end")
    assert merged.startswith("# Benchmarks\n\nintro\n\n## Machine")
