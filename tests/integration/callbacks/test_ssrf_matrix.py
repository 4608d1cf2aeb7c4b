"""The SSRF matrix: with the allowlist off, no callback reaches a non-public address.

Two witnesses: loopback listeners count accepted connections (a guard that let loopback through
would be seen there), and the network seam under the guard records every dial (so forms that could
not reach a listener on this machine — 10/8, fc00::/7, NAT64 … — are still seen if dialled).
"""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest

from app.callbacks.dispatcher import DispatcherConfig
from app.callbacks.policy import RetrySchedule
from app.callbacks.ssrf import Allowlist
from app.callbacks.transport import system_resolver
from tests.integration.callbacks.helpers import (
    LOOPBACK,
    RecordingBackend,
    Reply,
    add_delivery,
    add_task,
    attempts_of,
    delivery_rows,
    wait_until,
)

PUBLIC = "93.184.216.34"

LITERALS = [
    "127.0.0.1",
    "127.1.2.3",
    "[::1]",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.0.1",
    "192.168.255.254",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "240.0.0.1",
    "255.255.255.255",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fe80::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
    "[::]",
]

NAMES = {
    "loopback.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "mixed.test": [PUBLIC, "127.0.0.1"],  # one bad answer refuses the name
}


class StubResolver:
    """Fixed answers per name; `rebind.test` answers public first and loopback afterwards."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls[host] += 1
        if host == "rebind.test":
            return [PUBLIC] if self.calls[host] == 1 else ["127.0.0.1"]
        if host in NAMES:
            return NAMES[host]
        return await system_resolver(host, port)


async def attempted(engine) -> bool:
    return all(r["attempts"] >= 1 for r in await delivery_rows(engine))


async def test_ssrf_matrix_makes_no_connection_with_the_allowlist_off(
    engine, receivers, dispatchers
) -> None:
    trap = await receivers(lambda _r: Reply())
    trap6 = None
    with contextlib.suppress(OSError):
        trap6 = await receivers(lambda _r: Reply(), host="::1")
    port = trap.port
    urls = [f"http://{host}:{port}/hook" for host in LITERALS]
    if trap6 is not None:
        urls.append(f"http://[::1]:{trap6.port}/hook")
    urls += [f"http://{name}:{port}/hook" for name in [*NAMES, "localhost", "2130706433"]]
    rebind_url = f"http://rebind.test:{port}/hook"
    urls.append(rebind_url)
    for n, url in enumerate(urls):
        await add_task(engine, f"t-{n}")
        await add_delivery(engine, f"t-{n}", url)

    resolver = StubResolver()
    backend = RecordingBackend(resolver=resolver)  # a second lookup here would hit the trap
    config = DispatcherConfig(
        allowlist=Allowlist(), schedule=RetrySchedule((60.0,)), poll_interval_s=0.05
    )
    dispatchers(config, resolver=resolver, backend=backend)
    await wait_until(lambda: attempted(engine), timeout_s=15)

    assert trap.connections == 0
    assert trap6 is None or trap6.connections == 0
    # The only dial: the address the rebinding name gave on its one and only lookup (public;
    # the test seam refuses to leave the machine). Never the loopback answer of a later lookup.
    assert backend.dials == [PUBLIC]
    assert resolver.calls["rebind.test"] == 1

    rows = {r["url"]: r for r in await delivery_rows(engine)}
    for url in urls:
        [entry] = attempts_of(rows[url])
        if url == rebind_url:
            assert entry["outcome"] == "network_error"
            continue
        assert entry["outcome"] == "blocked", (url, entry)
        assert rows[url]["status"] == "failed"
        assert "refused to connect" in rows[url]["last_error"]


async def test_redirect_to_loopback_is_not_followed(engine, receivers, dispatchers) -> None:
    trap = await receivers(lambda _r: Reply())
    try:
        redirector = await receivers(
            lambda _r: Reply(status=302, headers={"location": trap.url()}), host="127.0.0.2"
        )
    except OSError:  # pragma: no cover - every Linux routes 127/8 to lo
        pytest.skip("127.0.0.2 is not usable here")
    await add_task(engine, "t-302")
    await add_delivery(engine, "t-302", redirector.url())
    config = DispatcherConfig(
        allowlist=Allowlist.parse(["127.0.0.2/32"]),  # only the first hop may be reached
        schedule=RetrySchedule((60.0,)),
        poll_interval_s=0.05,
    )
    dispatchers(config)
    await wait_until(lambda: attempted(engine), timeout_s=10)

    assert redirector.connections == 1
    assert trap.connections == 0
    [row] = await delivery_rows(engine)
    [entry] = attempts_of(row)
    assert entry["outcome"] == "redirect" and entry["status_code"] == 302
    assert row["status"] == "pending"  # a 3xx is a failed attempt: retried later, never followed


async def test_allowlisted_loopback_is_reached(engine, receivers, dispatchers) -> None:
    """The positive control of the matrix: the same witnesses do see an allowed connection."""
    trap = await receivers(lambda _r: Reply())
    resolver = StubResolver()
    backend = RecordingBackend(resolver=resolver)
    await add_task(engine, "t-ok")
    await add_delivery(engine, "t-ok", f"http://loopback.test:{trap.port}/hook")
    config = DispatcherConfig(allowlist=LOOPBACK, poll_interval_s=0.05)
    dispatchers(config, resolver=resolver, backend=backend)
    await wait_until(lambda: attempted(engine), timeout_s=10)
    assert trap.connections == 1
    assert backend.dials == ["127.0.0.1"]
    assert trap.requests[0].headers["host"] == f"loopback.test:{trap.port}"
