"""Where the CPU went during a run: this (client) process vs the PostgreSQL server's processes.

On a 2-core machine the claimers and the server compete for the same cores, so the split names
the bottleneck side before any profiler runs. Server time is only known for a server we started
(we know its postmaster); backends that exit mid-run are missed, so it is a lower bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class CpuSplit:
    wall_s: float
    client_s: float
    server_s: float | None


def _process_cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _server_cpu(postmaster_pid: int | None) -> dict[int, float]:
    if postmaster_pid is None:
        return {}
    try:
        postmaster = psutil.Process(postmaster_pid)
        processes = [postmaster, *postmaster.children(recursive=True)]
    except psutil.Error:
        return {}
    sample: dict[int, float] = {}
    for process in processes:
        try:
            sample[process.pid] = _process_cpu(process)
        except psutil.Error:
            continue
    return sample


class CpuMeter:
    def __init__(self, postmaster_pid: int | None) -> None:
        self.postmaster_pid = postmaster_pid
        self._me = psutil.Process()
        self._wall = 0.0
        self._client = 0.0
        self._server: dict[int, float] = {}

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._client = _process_cpu(self._me)
        self._server = _server_cpu(self.postmaster_pid)

    def stop(self) -> CpuSplit:
        wall = time.perf_counter() - self._wall
        client = _process_cpu(self._me) - self._client
        if self.postmaster_pid is None:
            return CpuSplit(wall, client, None)
        after = _server_cpu(self.postmaster_pid)
        server = sum(max(0.0, cpu - self._server.get(pid, 0.0)) for pid, cpu in after.items())
        return CpuSplit(wall, client, server)
