"""A key's concurrency holds across web processes: two `mjrelay web` on one PostgreSQL, five
parallel submits split between them, never more than one unfinished task (counted in SQL)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import httpx

from tests.e2e.processes import free_port, killed_in_the_end, output_of, start, wait_ready
from tests.integration.api.conftest import add_account
from tests.integration.api.keys.helpers import SECRET, add_key, bearer, unfinished_of


async def test_concurrency_one_across_two_web_processes(database_url, engine) -> None:
    await add_account(engine)
    key = bearer(await add_key(engine, "single", concurrency=1))
    ports = [free_port(), free_port()]
    env = {"DATABASE_URL": database_url, "MJRELAY_HOST": "127.0.0.1", "MJRELAY_API_SECRET": SECRET}
    with contextlib.ExitStack() as stack:
        processes = [
            stack.enter_context(killed_in_the_end(start("web", PORT=str(port), **env)))
            for port in ports
        ]
        for port, process in zip(ports, processes, strict=True):
            await asyncio.to_thread(wait_ready, port, process)
        async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
            replies = await asyncio.gather(
                *(
                    client.post(
                        f"http://127.0.0.1:{ports[i % 2]}/mj/imagine",
                        json={"prompt": f"fox {i}"},
                        headers=key,
                    )
                    for i in range(5)
                )
            )
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            assert "Traceback" not in output_of(process)
    assert sorted(r.status_code for r in replies) == [200, 429, 429, 429, 429]
    assert await unfinished_of(engine, "single") == 1
