"""Scenario `webman` runs only beside an external peer; without one its section says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.harness import Server
from bench.run import run_bench
from bench.webman.scenario import PEERS_VARIABLE, notes, why_skipped


def test_why_skipped_names_what_is_missing(tmp_path: Path) -> None:
    assert "is not set" in (why_skipped(None) or "")
    assert "has no side_by_side.py" in (why_skipped(str(tmp_path)) or "")


@pytest.mark.timeout(60)
async def test_without_peers_the_section_says_skipped(
    pg_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PEERS_VARIABLE, raising=False)
    (result,) = await run_bench(
        Server(pg_server_url), ["webman"], scale="smoke", out_dir=tmp_path, progress=False
    )
    assert result.figures == []
    assert any(note.startswith("skipped: ") for note in result.notes)
    assert "skipped: " in (tmp_path / "benchmarks.md").read_text()


def test_a_burst_webman_did_not_accept_says_so() -> None:
    ours = {"tasks_per_s": 20.0, "cpu_s_per_task": 0.04, "p50_s": 1.0, "p99_s": 2.0}
    peer = {"accepted": 340, "not_finished": 0, "callbacks": 85}
    said = notes(500, ours, peer)
    assert said[0].startswith("500 at once: webman accepted 340 of 500 submits; the other 160")
    assert not any("accepted" in n for n in notes(500, ours, {**peer, "accepted": 500}))
