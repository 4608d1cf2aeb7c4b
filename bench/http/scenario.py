"""Scenario `http`: the web process's fetch and submit req/s beside bare Starlette endpoints.

Both servers run as their own processes under the same uvicorn settings (`bench/http/serve.py`),
at the same time, on 127.0.0.1; `wrk` (C, one thread) drives one of them at a time with a fixed
number of keep-alive connections for a fixed duration. Runs alternate between the two servers
and the figure per server is the median run.

- fetch: `GET /mj/task/{id}/fetch` (novicezk) over 200 finished tasks chosen at random; mjrelay
  reads the row and renders the dialect's JSON, the bare endpoint returns a constant body of the
  same shape and size.
- submit: `POST /mj/submit/imagine {"prompt": …, "state": …}`; mjrelay validates, inserts the task
  and its first event and NOTIFYs in one statement (no worker runs, so tasks stay PENDING); the
  bare endpoint parses the body and INSERTs one row with asyncpg.
- submit-keys (mjrelay only): the same submit with `Authorization: Bearer mjr_…`, each request
  with one of 32 client keys (as 32 clients), every key with every limit set (daily, total,
  concurrency, rate; none ever reached): the key lookup, its rate bucket and its quota
  admission on top of the submit (issue 18). Its figure is against the submit without a key in
  the same run. submit-1key: every connection on one key, whose submits are serialised from
  the quota's UPDATE of the key's row to their commit (the exact limits' price): one client's
  ceiling.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from bench import product, profiles
from bench.harness import BenchContext
from bench.product import free_port, log_dir
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target
from db.engine import make_engine
from db.urls import asyncpg_dsn

TARGET_FETCH_RATIO = 0.5
TARGET_SUBMIT_RATIO = 0.25  # issue 19
TARGET_KEY_RATIO = 0.9  # issue 18: the key check costs at most 10 % of submit req/s
NO_LIMIT = 1_000_000_000
SEEDED = 200
ENDPOINTS = {
    "fetch": "GET /mj/task/{id}/fetch",
    "submit": "POST /mj/submit/imagine",
    "submit-keys": "POST /mj/submit/imagine (32 client keys)",
    "submit-1key": "POST /mj/submit/imagine (one client key)",
}
ONLY_OURS = {"submit-keys", "submit-1key"}
KEYS = 32
PROMPT = "a lighthouse at dusk, volumetric light, 35mm --ar 3:2"


@dataclass(frozen=True)
class HttpParams:
    duration_s: float
    connections: int
    rounds: int
    warmup_s: float = 1.0


FULL = HttpParams(duration_s=6.0, connections=32, rounds=3)
SMOKE = HttpParams(duration_s=1.0, connections=4, rounds=1, warmup_s=0.0)


@dataclass
class WrkRun:
    server: str
    endpoint: str
    round: int
    requests: int = 0
    rate: float = 0.0
    errors: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    server_cpu_us: float = 0.0  # CPU of the server process per request
    pg_cpu_us: float | None = None  # CPU of PostgreSQL's processes per request


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _buttons(job: str) -> list[dict[str, object]]:
    labels = [f"U{i}" for i in range(1, 5)] + ["🔄"] + [f"V{i}" for i in range(1, 5)]
    kinds = (
        [f"upsample::{i}" for i in range(1, 5)]
        + ["reroll::0"]
        + [f"variation::{i}" for i in range(1, 5)]
    )
    return [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 2, "label": label, "custom_id": f"MJ::JOB::{kind}::{job}"}
                for label, kind in zip(labels[i : i + 5], kinds[i : i + 5], strict=True)
            ],
        }
        for i in (0, 5)
    ]


async def seed_finished_tasks(url: str) -> list[str]:
    """SEEDED finished imagine tasks, as a worker leaves them (image, buttons, hash, times)."""
    ids = [str(1_700_000_000_000_000 + n) for n in range(SEEDED)]
    engine = make_engine(url, pool_size=2)
    try:
        async with engine.begin() as conn:
            for n, task_id in enumerate(ids):
                job = f"{n:08x}-1234-5678-9abc-def012345678"
                await conn.execute(
                    text(
                        "INSERT INTO tasks (id, dialect, action, status, prompt, prompt_en,"
                        " final_prompt, progress, image_url, message_id, message_hash, nonce,"
                        " buttons, submit_time, start_time, finish_time, event_seq)"
                        " VALUES (:id, 'novicezk', 'IMAGINE', 'SUCCESS', :p, :p, :fp, 100,"
                        " :img, :mid, :job, :nonce, CAST(:buttons AS jsonb), 1700000000000,"
                        " 1700000001000, 1700000030000, 5)"
                    ),
                    {
                        "id": task_id,
                        "p": PROMPT,
                        "fp": PROMPT + " --v 6.1",
                        "img": f"https://cdn.discordapp.com/attachments/1/2/{job}.png",
                        "mid": str(1_300_000_000_000_000_000 + n),
                        "job": job,
                        "nonce": str(1_200_000_000_000_000_000 + n),
                        "buttons": json.dumps(_buttons(job)),
                    },
                )
    finally:
        await engine.dispose()
    return ids


def _fetch_script(ids: list[str], path: Path) -> Path:
    table = ", ".join(f'"{i}"' for i in ids)
    path.write_text(
        f"local ids = {{{table}}}\n"
        "request = function()\n"
        '  return wrk.format("GET", "/mj/task/" .. ids[math.random(#ids)] .. "/fetch")\n'
        "end\n"
    )
    return path


def _submit_script(path: Path, keys: list[str] | None = None) -> Path:
    body = json.dumps({"prompt": PROMPT, "state": "bench"})
    script = (
        'wrk.method = "POST"\n'
        'wrk.path = "/mj/submit/imagine"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    if keys:  # each request with one of the keys, at random
        table = ", ".join(f'"Bearer {k}"' for k in keys)
        script += (
            f"local keys = {{{table}}}\n"
            "request = function()\n"
            '  wrk.headers["Authorization"] = keys[math.random(#keys)]\n'
            "  return wrk.format()\n"
            "end\n"
        )
    path.write_text(script)
    return path


async def add_limited_keys(url: str, count: int) -> list[str]:
    """Client keys with every limit set high enough never to refuse (issue 18's cost)."""
    from app.domain.keys import key_hash, new_key, shown_prefix
    from db import api_keys

    keys = [new_key() for _ in range(count)]
    engine = make_engine(url, pool_size=2)
    try:
        async with engine.begin() as conn:
            for n, key in enumerate(keys):
                await api_keys.insert_key(
                    conn, name=f"bench-{n}", key_hash=key_hash(key), key_prefix=shown_prefix(key),
                    daily_limit=NO_LIMIT, total_limit=NO_LIMIT, concurrency=NO_LIMIT,
                    rate_per_min=NO_LIMIT,
                )  # fmt: skip
    finally:
        await engine.dispose()
    return keys


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str, run: WrkRun) -> WrkRun:
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    run.rate = float(match.group(1)) if match else 0.0
    match = re.search(r"(\d+) requests in", output)
    run.requests = int(match.group(1)) if match else 0
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)  # fmt: skip
    run.errors = (int(errors.group(1)) if errors else 0) + (
        sum(int(g) for g in sockets.groups()) if sockets else 0
    )
    for q, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        run.latency_ms[q] = float(value) * _UNITS[unit]
    return run


async def wrk(port: int, script: Path, params: HttpParams, duration_s: float) -> str:
    argv = [wrk_path() or "wrk", "-t1", f"-c{params.connections}", f"-d{duration_s:g}s",
            "--latency", "--timeout", "5s", "-s", str(script),
            f"http://127.0.0.1:{port}"]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        async with asyncio.timeout(duration_s + 30):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return out.decode(errors="replace")


async def _fetch_body(port: int, task_id: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /mj/task/{task_id}/fetch HTTP/1.1\r\nHost: b\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"content-length:\s*(\d+)", head, re.I).group(1))  # type: ignore[union-attr]
    body = await reader.readexactly(length)
    writer.close()
    return body.decode()


@scenario("http", "HTTP throughput (fetch and submit)", budget_s=75)
async def run(ctx: BenchContext) -> ScenarioResult:
    params = FULL if ctx.scale == "full" else SMOKE
    return await run_http(ctx, params)


async def run_http(ctx: BenchContext, params: HttpParams) -> ScenarioResult:
    started = time.monotonic()
    result = ScenarioResult("http", "HTTP throughput (fetch and submit)", summary(params))
    if wrk_path() is None:
        result.notes.append("`wrk` is not installed (`apt-get install wrk`): nothing measured.")
        return result
    logs = log_dir("http")
    template = await product.migrated_template(ctx)
    async with ctx.database("http_ours", template) as ours_url, ctx.database("http_bare") as bare:
        ids = await seed_finished_tasks(ours_url)
        keys = await add_limited_keys(ours_url, KEYS)
        await product.admin_sql(bare, _bare_schema())
        ours_port, bare_port = free_port(), free_port()
        ours = product.python_module(
            "web-mjrelay", "bench.http.serve", ["mjrelay", str(ours_port)],
            product.product_env(ours_url), logs,
        )  # fmt: skip
        try:
            await product.wait_for_port(ours_port, process=ours)
            body = await _fetch_body(ours_port, ids[0])
            env = {**product.product_env(bare), "BENCH_FETCH_BODY": body,
                   "BENCH_BARE_DSN": asyncpg_dsn(bare)}  # fmt: skip
            base = product.python_module(
                "web-bare", "bench.http.serve", ["bare", str(bare_port)], env, logs
            )
            try:
                await product.wait_for_port(bare_port, process=base)
                pids = {"mjrelay": ours.pid, "bare": base.pid}
                runs, profile = await _rounds(
                    ctx, params, ids, logs, ours, ours_port, bare_port, pids, keys
                )
            finally:
                await base.stop()
        finally:
            await ours.stop()
    result.figures = figures(runs)
    result.tables.append(runs_table(runs))
    result.plots = _plot(ctx, runs)
    for endpoint, summary_text in profile.items():
        (ctx.plots_dir / f"http-web-{endpoint}-profile.txt").write_text(summary_text)
    result.notes += notes(runs, sorted(profile), len(body), logs)
    paired = paired_key_ratios(runs)
    if paired:
        shown = ", ".join(f"{x:.2f}×" for x in paired)
        result.notes.append(
            "Client keys, round by round (keyed submit over the unkeyed submit of the same"
            f" round, the three submits run back to back): {shown}."
        )
    result.elapsed_s = time.monotonic() - started
    return result


def _bare_schema() -> str:
    from bench.http.serve import BARE_SCHEMA

    return BARE_SCHEMA


async def _rounds(ctx: BenchContext, params: HttpParams, ids: list[str], logs: Path,
                  ours: product.Process, ours_port: int, bare_port: int,
                  pids: dict[str, int], keys: list[str],
                  ) -> tuple[list[WrkRun], dict[str, str]]:  # fmt: skip
    scripts = {
        "fetch": _fetch_script(ids, logs / "fetch.lua"),
        "submit": _submit_script(logs / "submit.lua"),
        "submit-keys": _submit_script(logs / "submit-keys.lua", keys),
        "submit-1key": _submit_script(logs / "submit-1key.lua", keys[:1]),
    }
    ports = {"mjrelay": ours_port, "bare": bare_port}
    runs: list[WrkRun] = []
    plan = [
        (r, e, s)
        for r in range(params.rounds)
        for e in _round_order(r)
        for s in ("bare", "mjrelay")
        if not (s == "bare" and e in ONLY_OURS)
    ]
    bar = ctx.progress(len(plan), "http", unit="run")
    profile_of = ("fetch", "submit", "submit-keys")
    raws = {e: logs / f"web-{e}.pyspy.txt" for e in scripts}
    profiled: set[str] = set()
    try:
        for endpoint in scripts:  # warm both servers (connections, caches, statement cache)
            for server in ports:
                if params.warmup_s and not (server == "bare" and endpoint in ONLY_OURS):
                    await wrk(ports[server], scripts[endpoint], params, params.warmup_s)
        for round_, endpoint, server in plan:
            spy = None
            last = round_ == params.rounds - 1
            if (server, last, ctx.scale) == ("mjrelay", True, "full") and endpoint in profile_of:
                spy = profiles.record(ours.pid, params.duration_s, raws[endpoint])
                if spy is not None:
                    profiled.add(endpoint)
            meter = Meter(pids[server], ctx.server.postmaster_pid)
            await meter.start()
            out = await wrk(ports[server], scripts[endpoint], params, params.duration_s)
            found = parse_wrk(out, WrkRun(server, endpoint, round_))
            await meter.stop(found)
            profiles.finish(spy)
            runs.append(found)
            bar.set_postfix_str(f"{server} {endpoint} {found.rate:,.0f}/s")
            bar.update(1)
    finally:
        bar.close()
    found = {}
    for endpoint in profiled:
        title = f"mjrelay web process under wrk, {endpoint} ({ENDPOINTS[endpoint]})"
        found[endpoint] = profiles.summary(raws[endpoint], title)
    return runs, {k: v for k, v in found.items() if v}


class Meter:
    """CPU of the server process and of PostgreSQL across one wrk run."""

    def __init__(self, pid: int, postmaster_pid: int | None) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.postmaster_pid = postmaster_pid

    def _cpu(self) -> float:
        times = self.process.cpu_times()
        return float(times.user + times.system)

    async def start(self) -> None:
        from bench.cpu import _server_cpu

        self.cpu0 = self._cpu()
        self.pg0 = _server_cpu(self.postmaster_pid)

    async def stop(self, run: WrkRun) -> None:
        from bench.cpu import _server_cpu

        cpu = self._cpu() - self.cpu0
        pg = _server_cpu(self.postmaster_pid)
        if run.requests:
            run.server_cpu_us = cpu * 1e6 / run.requests
            if self.postmaster_pid is not None:
                spent = sum(max(0.0, v - self.pg0.get(k, 0.0)) for k, v in pg.items())
                run.pg_cpu_us = spent * 1e6 / run.requests


SUBMITS = ("submit", "submit-keys", "submit-1key")


def _round_order(round_: int) -> list[str]:
    """Fetch, then the three submits back to back, their order turned by one each round: a
    slow spell of the machine (a checkpoint, autovacuum of the growing tasks table) then falls
    on a different one each time instead of always on the same."""
    turn = round_ % len(SUBMITS)
    return ["fetch", *SUBMITS[turn:], *SUBMITS[:turn]]


def paired_key_ratios(runs: list[WrkRun]) -> list[float]:
    """Keyed submit req/s over the unkeyed submit's of the same round, round by round."""
    by = {(r.endpoint, r.round): r.rate for r in runs if r.server == "mjrelay"}
    return [
        by[("submit-keys", n)] / by[("submit", n)]
        for n in sorted({r.round for r in runs})
        if by.get(("submit", n)) and ("submit-keys", n) in by
    ]


def _median(runs: list[WrkRun], server: str, endpoint: str) -> float:
    rates = [r.rate for r in runs if r.server == server and r.endpoint == endpoint]
    return statistics.median(rates) if rates else 0.0


def figures(runs: list[WrkRun]) -> list[Figure]:
    paired = paired_key_ratios(runs)
    return [
        Figure("fetch req/s (`GET /mj/task/{id}/fetch`)", _median(runs, "mjrelay", "fetch"),
               "req/s", "bare Starlette JSON endpoint", _median(runs, "bare", "fetch"),
               Target("≥ 50 % (0.5×)", TARGET_FETCH_RATIO, on="ratio")),
        Figure("submit req/s (`POST /mj/submit/imagine`)", _median(runs, "mjrelay", "submit"),
               "req/s", "bare Starlette + one asyncpg INSERT", _median(runs, "bare", "submit"),
               Target("≥ 25 % (0.25×)", TARGET_SUBMIT_RATIO, on="ratio")),
        Figure(f"submit req/s with client keys and all their limits ({KEYS} keys)",
               _median(runs, "mjrelay", "submit-keys"), "req/s", "the same submit without a key",
               _median(runs, "mjrelay", "submit")),
        # The target on the rounds' own ratios: each pair ran back to back, so a slower stretch
        # of this shared machine slows both sides of a pair, not one side of the medians.
        Figure(f"client keys ({KEYS}): keyed over unkeyed submit, median of the rounds' ratios",
               statistics.median(paired) if paired else 0.0, "×",
               "no cost (the same submit without a key)", 1.0,
               Target("≥ 90 % (0.9×)", TARGET_KEY_RATIO, on="ratio")),
        Figure("submit req/s, every connection on one client key",
               _median(runs, "mjrelay", "submit-1key"), "req/s",
               "the same submit without a key", _median(runs, "mjrelay", "submit")),
    ]  # fmt: skip


def runs_table(runs: list[WrkRun]) -> Table:
    rows = tuple(
        (r.endpoint, r.server, str(r.round + 1), f"{r.requests:,}", f"{r.rate:,.0f}",
         *(f"{r.latency_ms.get(q, 0):.1f}" for q in ("50", "90", "99")), str(r.errors),
         f"{r.server_cpu_us:,.0f}", f"{r.pg_cpu_us:,.0f}" if r.pg_cpu_us is not None else "–")
        for r in sorted(runs, key=lambda r: (r.endpoint, r.server, r.round))
    )  # fmt: skip
    headers = ("endpoint", "server", "run", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms",
               "errors", "server CPU µs/req", "PostgreSQL CPU µs/req")  # fmt: skip
    return Table("Every run (wrk)", headers, rows)


def _plot(ctx: BenchContext, runs: list[WrkRun]) -> list[Path]:
    from bench.plots import color, pyplot, save

    plt = pyplot()
    if plt is None or not runs:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    endpoints = ["fetch", "submit"]
    for k, server in enumerate(("mjrelay", "bare")):
        xs = [i + (k - 0.5) * 0.38 for i in range(len(endpoints))]
        ys = [_median(runs, server, e) for e in endpoints]
        ax.bar(xs, ys, width=0.38, color=color(server), label=server)
        for x, y in zip(xs, ys, strict=True):
            ax.text(x, y, f"{y:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(endpoints)), endpoints)
    ax.set_ylabel("req/s (median run)")
    ax.set_title("HTTP throughput under wrk, same uvicorn settings")
    ax.legend(fontsize=8)
    path = save(fig, ctx.plots_dir, "http-throughput.png")
    plt.close("all")
    return [path]


def summary(params: HttpParams) -> str:
    return (
        f"wrk, one thread, {params.connections} keep-alive connections, {params.duration_s:g} s"
        f" per run, {params.rounds} run(s) per server and endpoint, alternating between the"
        " servers. Both servers are single uvicorn processes with the web process's settings"
        " (`bench/http/serve.py`); the load generator shares the machine's cores with them and"
        " with PostgreSQL. **fetch**: `GET /mj/task/{id}/fetch` (novicezk) over 200 finished"
        " tasks chosen at random; mjrelay reads the row and renders the dialect's JSON, the bare"
        " endpoint returns a constant body of the same shape and size. **submit**: `POST"
        ' /mj/submit/imagine {"prompt": …, "state": …}`; mjrelay validates, inserts the task'
        " and its first event and NOTIFYs in one statement (no worker runs, so tasks stay"
        " PENDING); the bare endpoint parses the body and INSERTs one row with asyncpg."
    )


def notes(
    runs: list[WrkRun], profiled: list[str], body_bytes: int, raws_dir: Path | None = None
) -> list[str]:
    found = [f"The fetch body is {body_bytes:,} bytes (a finished imagine with 9 buttons)."]
    errors = sum(r.errors for r in runs)
    if errors:
        found.append(f"{errors:,} responses were errors (non-2xx or socket errors).")
    for endpoint in ("fetch", "submit"):
        ours = [r for r in runs if r.server == "mjrelay" and r.endpoint == endpoint]
        base = [r for r in runs if r.server == "bare" and r.endpoint == endpoint]
        if not ours or not base:
            continue
        cpu = statistics.median(r.server_cpu_us for r in ours)
        base_cpu = statistics.median(r.server_cpu_us for r in base)
        pg = [r.pg_cpu_us for r in ours if r.pg_cpu_us is not None]
        pg_text = f", PostgreSQL {statistics.median(pg):,.0f} µs" if pg else ""
        found.append(
            f"{endpoint}: the mjrelay server process spends {cpu:,.0f} µs of CPU per request"
            f" (the bare one {base_cpu:,.0f} µs){pg_text}; at"
            f" {_median(runs, 'mjrelay', endpoint):,.0f} req/s that is"
            f" {cpu * _median(runs, 'mjrelay', endpoint) / 1e6:.0%} of a core — the single"
            " uvicorn process is CPU-bound in Python, not waiting on PostgreSQL."
        )
    for endpoint in profiled:
        raw = raws_dir / f"web-{endpoint}.pyspy.txt" if raws_dir else None
        detail = ""
        if raw is not None and raw.exists():
            asyncpg_share = profiles.share(raw, "(asyncpg/")
            sa_share = profiles.share(raw, "(sqlalchemy/")
            detail = (
                f" {sa_share:.0%} of its samples are under SQLAlchemy and {asyncpg_share:.0%}"
                " under asyncpg. Round trips per request, each an asyncpg prepared statement"
                " outside a transaction on the web process's hot pool (db/driver.py): fetch one"
                " (the task row); submit two (the admission read, then the task, its first"
                " event and both NOTIFYs in one statement); a client key adds its lookup with"
                " its rate tokens once per second or per 16 requests (app/api/key_cache.py); its"
                " quota is part of the task's statement (docs/architecture.md)."
            )
        found.append(
            f"py-spy profile of the mjrelay web process during its last {endpoint} run:"
            f" [http-web-{endpoint}-profile.txt](bench/http-web-{endpoint}-profile.txt).{detail}"
        )
    return found
