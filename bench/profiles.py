"""Sampling profiles of child processes with py-spy (when installed), summarised as text.

`record(pid, seconds, raw_path)` starts `py-spy record --format raw` on a running process (no
restart, no code change). `summary(raw_path)` turns the collapsed stacks into two top lists:
where the samples were (self) and which calls they were under (inclusive).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def record(
    pid: int, seconds: float, raw_path: Path, rate: int = 200
) -> subprocess.Popen[bytes] | None:
    exe = py_spy()
    if exe is None:
        return None
    argv = [exe, "record", "-p", str(pid), "-o", str(raw_path), "-f", "raw",
            "-d", str(max(1, round(seconds))), "-r", str(rate), "--nonblocking"]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish(spy: subprocess.Popen[bytes] | None, timeout_s: float = 30.0) -> None:
    if spy is None:
        return
    try:
        spy.wait(timeout_s)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(5)


def summary(raw_path: Path, title: str, top: int = 30) -> str | None:
    if not raw_path.exists() or raw_path.stat().st_size == 0:
        return None
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            under[frame] += n
    if not total:
        return None
    lines = [title, f"py-spy, {total:,} samples", "", "Self (where the samples were):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "Inclusive (the call was on the stack):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in under.most_common(top * 2)]
    return "\n".join(lines) + "\n"


def share(raw_path: Path, needle: str) -> float:
    """Share of samples with a frame containing `needle` on the stack."""
    if not raw_path.exists():
        return 0.0
    hit = total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        if needle in stack:
            hit += int(count)
    return hit / total if total else 0.0
