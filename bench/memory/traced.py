"""`python -m bench.memory.traced DIR ARGS…`: `mjrelay ARGS…`, whose heap the bench can inspect.

Each SIGUSR2 collects garbage and writes DIR/N.json (N = 0, 1, …; DIR/N.done once written): the
Python heap's allocated blocks (`sys.getallocatedblocks`), glibc's bytes in use and free in its
arenas (`mallinfo2`), and the count of live objects per type, so the memory scenario can tell
growth of Python objects from memory that the allocator keeps. With MJRELAY_BENCH_TRACEMALLOC=1
the second SIGUSR2 also starts tracemalloc (it slows the process several times, so only from then
on) and it and each later one write a snapshot to DIR/N.snap: what the last holds was allocated
after the second signal and is still alive. `top_growth(before, after)` summarises it by traceback.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import itertools
import json
import os
import signal
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

FRAMES = 6
ROOT = Path(__file__).resolve().parents[2]
TRACE_VARIABLE = "MJRELAY_BENCH_TRACEMALLOC"
_IGNORED = (tracemalloc.__file__, "<frozen importlib._bootstrap>", "<unknown>")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]  # fmt: skip


def malloc_bytes() -> tuple[int, int] | None:
    """glibc's (bytes in use, bytes free but kept) over its arenas and mmapped blocks."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError, TypeError):  # not glibc ≥ 2.33
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd, info.fordblks


def heap_counts() -> dict[str, Any]:
    kinds = Counter(type(o).__qualname__ for o in gc.get_objects())
    malloc = malloc_bytes()
    return {
        "blocks": sys.getallocatedblocks(),
        "malloc_in_use": malloc[0] if malloc else None,
        "malloc_free": malloc[1] if malloc else None,
        "objects": dict(kinds),
    }


def _install(folder: Path, trace: bool) -> None:
    numbers = itertools.count()

    def dump(_signum: int, _frame: FrameType | None) -> None:
        gc.collect()
        number = next(numbers)
        (folder / f"{number}.json").write_text(json.dumps(heap_counts()))
        if trace and number >= 1:  # from the second on: the first wave is warm-up
            if not tracemalloc.is_tracing():
                tracemalloc.start(FRAMES)
            tracemalloc.take_snapshot().dump(str(folder / f"{number}.snap"))
        (folder / f"{number}.done").touch()

    signal.signal(signal.SIGUSR2, dump)


def grown_types(before: dict[str, int], after: dict[str, int], top: int = 8) -> list[str]:
    """The object types whose live count grew most, as `name +N`."""
    grown = Counter(after)
    grown.subtract(before)
    return [f"{name} {n:+,}" for name, n in grown.most_common(top) if n > 0]


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
    _install(folder, os.environ.get(TRACE_VARIABLE) == "1")
    sys.argv = ["mjrelay", *sys.argv[2:]]
    from app.cli import main as mjrelay

    mjrelay()


if __name__ == "__main__":
    main()
