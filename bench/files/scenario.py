"""Scenario `files`: `GET` of a stored 2 MB result, mjrelay's `/files` against `FileResponse`.

mjrelay's web process (`bench/http/serve.py mjrelay`) serves one finished task's stored 2 MB
PNG at its `/files/…` URL, from a `file://` folder and then from S3 (SeaweedFS on loopback,
when `weed` can run); the baseline is Starlette's `FileResponse` of the same bytes on disk
(`bench/files/serve.py`), under the same uvicorn settings. wrk drives one server at a time;
runs alternate, and the figure per server is the median run. Goal (issue 15): ≥ 0.8× the
baseline's req/s.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import statistics
import time
from contextlib import ExitStack
from pathlib import Path

from bench import product
from bench.files.seaweed import S3Server, Unavailable, seaweed_s3
from bench.harness import BenchContext
from bench.http.scenario import HttpParams, Meter, WrkRun, parse_wrk, wrk, wrk_path
from bench.product import free_port, log_dir
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target
from db.engine import make_engine

TARGET_RATIO = 0.8
SIZE = 2 * 1024 * 1024
TASK_ID = "1700000000000009001"
TOKEN = "benchfile"
PATH = f"/files/{TASK_ID}/{TOKEN}/image.png"
FULL = HttpParams(duration_s=5.0, connections=8, rounds=2)
SMOKE = HttpParams(duration_s=1.0, connections=2, rounds=1, warmup_s=0.0)


def png_of(size: int) -> bytes:
    """A file that sniffs as PNG (its signature), `size` bytes long."""
    head = b"\x89PNG\r\n\x1a\n"
    return head + os.urandom(size - len(head))


async def seed(url: str, store_url: str, env: dict[str, str], data: bytes) -> None:
    """One finished task whose image is in the store, as the archiver leaves it."""
    from app import taskstore
    from app.domain.task import Task
    from app.storage.keys import object_key
    from app.storage.location import parse_storage_url
    from app.storage.store import ObjectStore
    from db import objects as object_queries

    engine = make_engine(url, pool_size=2)
    try:
        exists = await taskstore.get_task(engine, TASK_ID)
        if exists is None:
            task = Task(
                id=TASK_ID, dialect="novicezk", action="IMAGINE", prompt="bench",
                properties={"_file_token": TOKEN, "_origin": "http://127.0.0.1"},
            )  # fmt: skip
            await taskstore.create_task(engine, task)
            await taskstore.record_change(engine, TASK_ID, {"status": "STARTED"}, kind="leased")
            source = "https://cdn.discordapp.com/attachments/1/2/bench.png?ex=1&is=2&hm=3&"
            await taskstore.record_change(
                engine, TASK_ID, {"status": "SUCCESS", "image_url": source}, kind="finished"
            )
        key = object_key(TASK_ID, TOKEN, "image.png")
        await ObjectStore(parse_storage_url(store_url), env=env).put(key, data, "image/png")
        async with engine.begin() as conn:
            await object_queries.mark_stored(
                conn, task_id=TASK_ID, name="image", key=key, content_type="image/png",
                size=len(data), sha256=hashlib.sha256(data).hexdigest(), source=None,
            )  # fmt: skip
    finally:
        await engine.dispose()


def script(path: Path) -> Path:
    path.write_text(f'wrk.path = "{PATH}"\n')
    return path


@scenario("files", "Result files: GET of a stored 2 MB result", budget_s=90)
async def run(ctx: BenchContext) -> ScenarioResult:
    params = FULL if ctx.scale == "full" else SMOKE
    started = time.monotonic()
    result = ScenarioResult("files", "Result files: GET of a stored 2 MB result", summary(params))
    if wrk_path() is None:
        result.notes.append("`wrk` is not installed (`apt-get install wrk`): nothing measured.")
        return result
    logs = log_dir("files")
    data = png_of(SIZE)
    on_disk = logs / "result.png"
    on_disk.write_bytes(data)
    template = await product.migrated_template(ctx)
    runs: list[WrkRun] = []
    with ExitStack() as stack:
        backends: dict[str, tuple[str, dict[str, str]]] = {
            "file://": (f"file://{logs / 'store'}", {})
        }
        store_pids: dict[str, int | None] = {"file://": None}
        try:
            s3: S3Server = stack.enter_context(seaweed_s3())
            backends["s3://"] = ("s3://mjrelay-bench/files", s3.env())
            store_pids["s3://"] = s3.pid
        except Unavailable as exc:
            result.notes.append(f"S3 not measured: {exc}.")
        async with ctx.database("files", template) as url:
            for name, (store_url, env) in backends.items():
                await seed(url, store_url, env, data)
                runs += await _measure(
                    ctx, params, logs, url, name, store_url, env, on_disk, store_pids[name]
                )
    result.figures = [
        Figure(f"GET req/s, `{name}` store", _median(runs, name), "req/s",
               "Starlette `FileResponse` of the same file", _median(runs, f"baseline ({name})"),
               Target(f"≥ {TARGET_RATIO:.0%} ({TARGET_RATIO}×)", TARGET_RATIO, on="ratio"))
        for name in backends
    ]  # fmt: skip
    result.tables.append(table(runs))
    result.notes += notes(runs, list(backends))
    on_disk.unlink(missing_ok=True)  # the logs stay for post-mortems; the 2 MB copies go
    shutil.rmtree(logs / "store", ignore_errors=True)
    result.elapsed_s = time.monotonic() - started
    return result


async def _measure(ctx: BenchContext, params: HttpParams, logs: Path, url: str, name: str,
                   store_url: str, env: dict[str, str], on_disk: Path, store_pid: int | None,
                   ) -> list[WrkRun]:  # fmt: skip
    ours_port, base_port = free_port(), free_port()
    ours = product.python_module(
        f"files-mjrelay-{name[:-3]}", "bench.http.serve", ["mjrelay", str(ours_port)],
        product.product_env(url, MJRELAY_STORAGE_URL=store_url, **env), logs,
    )  # fmt: skip
    base = product.python_module(
        f"files-baseline-{name[:-3]}", "bench.files.serve", [str(base_port), str(on_disk)],
        product.product_env(url), logs,
    )  # fmt: skip
    runs: list[WrkRun] = []
    try:
        await product.wait_for_port(ours_port, process=ours)
        await product.wait_for_port(base_port, process=base)
        servers = {name: (ours_port, ours.pid), f"baseline ({name})": (base_port, base.pid)}
        lua = script(logs / "files.lua")
        if params.warmup_s:
            for port, _pid in servers.values():
                await wrk(port, lua, params, params.warmup_s)
        bar = ctx.progress(params.rounds * len(servers), f"files {name}", unit="run")
        try:
            for round_ in range(params.rounds):
                for server, (port, pid) in servers.items():
                    meter = Meter(pid, None)
                    store = Meter(store_pid, None) if store_pid and server == name else None
                    await meter.start()
                    if store is not None:
                        await store.start()
                    out = await wrk(port, lua, params, params.duration_s)
                    found = parse_wrk(out, WrkRun(server, "files", round_))
                    await meter.stop(found)
                    if store is not None:  # the S3 server's CPU, in the column PostgreSQL's had
                        holder = WrkRun(server, "files", round_, requests=found.requests)
                        await store.stop(holder)
                        found.pg_cpu_us = holder.server_cpu_us
                    runs.append(found)
                    bar.set_postfix_str(f"{server} {found.rate:,.0f}/s")
                    bar.update(1)
        finally:
            bar.close()
    finally:
        await asyncio.gather(ours.stop(), base.stop())
    return runs


def _median(runs: list[WrkRun], server: str) -> float:
    rates = [r.rate for r in runs if r.server == server]
    return statistics.median(rates) if rates else 0.0


def table(runs: list[WrkRun]) -> Table:
    rows = tuple(
        (r.server, str(r.round + 1), f"{r.requests:,}", f"{r.rate:,.0f}",
         *(f"{r.latency_ms.get(q, 0):.1f}" for q in ("50", "90", "99")), str(r.errors),
         f"{r.server_cpu_us:,.0f}", f"{r.pg_cpu_us:,.0f}" if r.pg_cpu_us is not None else "–")
        for r in runs
    )  # fmt: skip
    headers = ("server", "run", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors",
               "server CPU µs/req", "S3 server CPU µs/req")  # fmt: skip
    return Table("Every run (wrk)", headers, rows)


def notes(runs: list[WrkRun], backends: list[str]) -> list[str]:
    found = []
    errors = sum(r.errors for r in runs)
    if errors:
        found.append(f"{errors:,} responses were errors (non-2xx or socket errors).")
    for name in backends:
        ours = [r.server_cpu_us for r in runs if r.server == name]
        base = [r.server_cpu_us for r in runs if r.server == f"baseline ({name})"]
        if ours and base:
            found.append(
                f"`{name}`: the web process spends {statistics.median(ours):,.0f} µs of CPU per"
                f" 2 MB response, `FileResponse` {statistics.median(base):,.0f} µs (two indexed"
                " reads of PostgreSQL per request, the task and its object row, included)."
            )
        store = [r.pg_cpu_us for r in runs if r.server == name and r.pg_cpu_us is not None]
        if store:
            found.append(
                f"`{name}`: the S3 server (SeaweedFS, on the same cores as the web process and"
                f" wrk) spends {statistics.median(store):,.0f} µs of CPU per response: with S3 on"
                " the same machine, req/s measures the two processes together; on a real"
                " deployment the store runs elsewhere (or serves clients itself, with"
                " `MJRELAY_STORAGE_PUBLIC_URL` or presigned URLs)."
            )
    return found


def summary(params: HttpParams) -> str:
    return (
        f"wrk, one thread, {params.connections} keep-alive connections, {params.duration_s:g} s"
        f" per run, {params.rounds} run(s) per server, alternating. mjrelay's web process serves"
        " a finished task's stored 2 MB PNG at its `/files/…` URL (streamed from the store in"
        " 256 KiB chunks with `Content-Length` and `ETag`); the baseline is Starlette's"
        " `FileResponse` of the same bytes on disk, under the same uvicorn settings. Stores:"
        " `file://` (a local folder) and `s3://` (SeaweedFS on loopback)."
    )
