"""The memory bench's tracemalloc summary names the code whose live allocations grew."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from bench.memory.traced import top_growth

_kept: list[bytes] = []


def _grow(count: int) -> None:
    _kept.extend(bytes(1000) + str(n).encode() for n in range(count))


def test_top_growth_lists_the_line_that_keeps_allocations_first(tmp_path: Path) -> None:
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start(6)
    try:
        tracemalloc.take_snapshot().dump(str(tmp_path / "0.snap"))
        _grow(2_000)
        tracemalloc.take_snapshot().dump(str(tmp_path / "1.snap"))
    finally:
        if started_here:
            tracemalloc.stop()
        _kept.clear()
    lines = top_growth(tmp_path / "0.snap", tmp_path / "1.snap", top=3)
    assert "test_bench_memory_trace.py:14" in lines[0]
    grown_mib = float(lines[0].split()[0])
    assert grown_mib >= 1.9  # 2,000 blocks of ~1 KB
