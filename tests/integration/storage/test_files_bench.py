"""The `files` benchmark keeps working at tiny scale (no timing asserted: docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.harness import Server
from bench.http.scenario import wrk_path
from bench.run import run_bench


@pytest.mark.timeout(180)
async def test_files_scenario_measures_both_stores(pg_server_url: str, tmp_path: Path) -> None:
    if wrk_path() is None:
        pytest.skip("`wrk` is not installed (apt-get install wrk)")
    [result] = await run_bench(
        Server(pg_server_url), ["files"], scale="smoke", out_dir=tmp_path, progress=False
    )
    assert [f.measure for f in result.figures][:1] == ["GET req/s, `file://` store"]
    assert all(f.ours > 0 and f.baseline_value for f in result.figures)
    assert not any("responses were errors" in note for note in result.notes)
    assert "## Result files" in (tmp_path / "benchmarks.md").read_text()
