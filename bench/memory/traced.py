"""`python -m bench.memory.traced DIR ARGS…`: `mjrelay ARGS…`, traced by tracemalloc on demand.

The first SIGUSR2 starts tracemalloc, so only what is allocated from then on is traced and the
process runs at full speed until then (tracing slows it several times); each SIGUSR2 then
collects garbage and writes a snapshot to DIR/N.snap (N = 0, 1, …; DIR/N.done once written).
What the last snapshot holds is what was allocated after the first and is still alive: the
growth. `top_growth(before, after)` summarises it by traceback.
"""

from __future__ import annotations

import gc
import itertools
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

FRAMES = 6
ROOT = Path(__file__).resolve().parents[2]
_IGNORED = (tracemalloc.__file__, "<frozen importlib._bootstrap>", "<unknown>")


def _install(folder: Path) -> None:
    numbers = itertools.count()

    def dump(_signum: int, _frame: FrameType | None) -> None:
        gc.collect()
        if not tracemalloc.is_tracing():
            tracemalloc.start(FRAMES)
        number = next(numbers)
        tracemalloc.take_snapshot().dump(str(folder / f"{number}.snap"))
        (folder / f"{number}.done").touch()

    signal.signal(signal.SIGUSR2, dump)


def top_growth(before: Path, after: Path, top: int = 25) -> list[str]:
    """The source lines whose live allocations grew most from `before` to `after`, one per line:
    grown bytes, grown blocks, and the innermost frames of the project (else the innermost)."""
    filters = [tracemalloc.Filter(False, pattern) for pattern in _IGNORED]
    old = tracemalloc.Snapshot.load(str(before)).filter_traces(filters)
    new = tracemalloc.Snapshot.load(str(after)).filter_traces(filters)
    lines = []
    for stat in new.compare_to(old, "traceback")[:top]:
        frames = [f"{_short(f.filename)}:{f.lineno}" for f in stat.traceback]
        ours = [f for f in frames if f.startswith(("app/", "db/"))] or frames
        lines.append(
            f"{stat.size_diff / 2**20:+8.2f} MiB {stat.count_diff:+8d} blocks  "
            + " < ".join(ours[::-1][:4])  # innermost first
        )
    return lines


def _short(filename: str) -> str:
    return filename.rsplit("/site-packages/", 1)[-1].removeprefix(f"{ROOT}/")


def main() -> None:
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    _install(folder)
    sys.argv = ["mjrelay", *sys.argv[2:]]
    from app.cli import main as mjrelay

    mjrelay()


if __name__ == "__main__":
    main()
