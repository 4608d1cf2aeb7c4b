"""`python -m bench.e2e.sandbox_proc PORT ACCOUNTS OUT.json`: the sandbox as a process of its own.

Like `mjrelay sandbox --speed instant`, with the bot's per-account concurrency at 10 and the REST
rate limit out of the way, so the bot's own queueing does not hide ours. Writes its accounts
(`SandboxAccount` fields) and base URL to OUT.json once listening; stops on SIGTERM. On SIGUSR1
it writes when it accepted each interaction (`{nonce: unix seconds}`) to OUT.submissions.json.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
from pathlib import Path

from app.sandbox import start_sandbox


async def main(port: int, accounts: int, out: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with start_sandbox(
        host="127.0.0.1", port=port, accounts=accounts, speed="instant", concurrency=10,
        queue_size=100, rate_limit=100_000,
    ) as sb:  # fmt: skip
        data = {"base_url": sb.base_url, "accounts": [dataclasses.asdict(a) for a in sb.accounts]}
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.rename(out)
        dump = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, dump.set)
        while not stop.is_set():
            waiting = asyncio.create_task(dump.wait())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            stopping.cancel()
            if dump.is_set():
                dump.clear()
                accepted = {s.nonce: s.at for s in sb.submissions.accepted() if s.nonce}
                target = submissions_path(out)
                target.with_suffix(".tmp").write_text(json.dumps(accepted))
                target.with_suffix(".tmp").rename(target)


def submissions_path(out: Path) -> Path:
    return out.with_name(out.stem + ".submissions.json")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])))
