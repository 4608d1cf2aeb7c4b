"""Scenario `memory` at tiny scale: `mjrelay up` serves every wave on a sandbox process of its own,
and the RSS of both is read after each.

No memory bound is asserted here (the target lives in docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.harness import Server
from bench.memory.scenario import CHECKPOINTS
from bench.run import run_bench


@pytest.mark.timeout(180)
async def test_memory_scenario_reads_rss_after_each_wave(
    pg_server_url: str, tmp_path: Path
) -> None:
    (result,) = await run_bench(
        Server(pg_server_url), ["memory"], scale="smoke", out_dir=tmp_path, progress=False
    )
    (figure,) = result.figures
    assert figure.ours > 0 and figure.baseline_value
    (table,) = result.tables
    assert [row[0] for row in table.rows] == [f"{n:,}" for n in CHECKPOINTS["smoke"]]
    assert all(float(row[1]) > 0 and float(row[2]) > 0 for row in table.rows)  # up, sandbox
    assert all(int(row[3].replace(",", "")) > 0 for row in table.rows)  # Python heap blocks
    assert all(row[7] == "0" for row in table.rows)  # no task failed
    assert not any("refused" in note for note in result.notes)
    assert "## Memory of mjrelay up" in (tmp_path / "benchmarks.md").read_text()
