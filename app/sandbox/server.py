"""The sandbox app (Starlette) and its in-process runner (uvicorn on a pre-bound socket)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from app.sandbox import attachment_links, rest, rest_guilds, web_routes
from app.sandbox.accounts import SandboxAccount
from app.sandbox.core import SandboxCore
from app.sandbox.faults import FaultError
from app.sandbox.mj_profile import PLAN_FAST_HOURS
from app.sandbox.speed import Speed, get_speed
from app.sandbox.store import EditorRequest, Submissions

log = logging.getLogger("mjrelay.sandbox")


async def sandbox_accounts(request: Request) -> Response:
    core: SandboxCore = request.app.state.core
    return JSONResponse(
        {
            "accounts": [account.as_json() for account in core.accounts],
            "base_url": core.base_url,
            "gateway_url": core.gateway.public_url,
            "speed": core.speed.name,
        }
    )


async def sandbox_faults(request: Request) -> Response:
    core: SandboxCore = request.app.state.core
    try:
        spec = json.loads(await request.body())
        if not isinstance(spec, dict):
            raise FaultError("body must be a JSON object")
        return JSONResponse(core.fault_control.inject(spec))
    except (FaultError, ValueError, TypeError) as exc:
        return JSONResponse({"message": str(exc), "code": 0}, status_code=400)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    reasons = {404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}
    return JSONResponse({"message": f"{status}: {reasons.get(status, 'Error')}", "code": 0}, status)


async def client_gone(request: Request, exc: Exception) -> Response:
    # The client hung up while sending its body (a worker stopping mid-request): nobody reads
    # the answer, and it is no server error worth a traceback.
    return Response(status_code=400)


def create_app(core: SandboxCore) -> Starlette:
    api_routes = [*rest_guilds.GUILD_ROUTES, *rest.API_ROUTES, *attachment_links.ROUTES]
    routes = [
        WebSocketRoute("/", core.gateway.endpoint),
        Mount("/api/v9", routes=api_routes),
        Mount("/api/v10", routes=api_routes),
        Route("/attachments/{path:path}", web_routes.cdn_file),
        Route("/ephemeral-attachments/{path:path}", web_routes.cdn_file),
        Route("/_upload/{key:path}", web_routes.upload_put, methods=["PUT"]),
        Route("/inpaint/api/submit-job", web_routes.inpaint_submit, methods=["POST"]),
        Route("/_sandbox/accounts", sandbox_accounts),
        Route("/_sandbox/faults", sandbox_faults, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: http_error,
            ClientDisconnect: client_gone,
            500: http_error,
        },
    )
    app.state.core = core
    return app


@dataclass
class Sandbox:
    """A running sandbox: where it listens, its accounts, and what it received."""

    core: SandboxCore
    base_url: str
    gateway_url: str

    @property
    def accounts(self) -> list[SandboxAccount]:
        return list(self.core.accounts)

    @property
    def submissions(self) -> Submissions:
        return self.core.submissions

    @property
    def editor_requests(self) -> list[EditorRequest]:
        """What the Vary (Region) editor endpoint received, headers included."""
        return list(self.core.editor_requests)

    async def inject_fault(
        self, kind: str, account: int | str | None = None, **params: Any
    ) -> dict[str, Any]:
        """Same as `POST /_sandbox/faults` with `{"kind": kind, "account": account, ...}`."""
        spec: dict[str, Any] = {"kind": kind, **params}
        if account is not None:
            spec["account"] = account
        return self.core.fault_control.inject(spec)


def _bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on connections whose proto says TCP;
    # with proto 0 a REST reply or gateway frame could wait ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    accounts: int = 2,
    speed: str | Speed = "instant",
    seed: int = 0,
    *,
    concurrency: int = 3,
    queue_size: int = 10,
    heartbeat_interval_ms: int = 41250,
    rate_limit: int = 50,
    fast_hours: float = PLAN_FAST_HOURS,
    log_level: str = "warning",
    link_ttl_s: float | None = None,
) -> AsyncIterator[Sandbox]:
    """Run a sandbox in this event loop; `port=0` picks a free port (see `base_url`).

    `speed` is a name from speed.SPEEDS or a Speed (tests that need measurable pauses).
    `link_ttl_s`: how long the CDN's signed attachment links live (Discord: about a day).
    """
    core = SandboxCore(
        accounts=accounts, speed=speed if isinstance(speed, Speed) else get_speed(speed),
        seed=seed, concurrency=concurrency, queue_size=queue_size,
        heartbeat_interval_ms=heartbeat_interval_ms, rate_limit=rate_limit, fast_hours=fast_hours,
    )  # fmt: skip
    if link_ttl_s is not None:
        core.cdn.ttl = link_ttl_s
    sock = _bind(host, port)
    real_port = sock.getsockname()[1]
    base_url = f"http://{host}:{real_port}"
    core.set_base_url(base_url)
    config = uvicorn.Config(
        create_app(core), log_level=log_level, access_log=False, lifespan="off",
        ws="websockets-sansio", ws_per_message_deflate=False, timeout_graceful_shutdown=2,
        timeout_keep_alive=KEEP_ALIVE_S,
    )  # fmt: skip
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    # startup/stop driven directly: uvicorn's own main loop and shutdown poll at 0.1 s steps,
    # which would make every test's teardown wait.
    await server.startup(sockets=[sock])
    if not server.started:
        sock.close()
        raise RuntimeError(f"sandbox could not listen on {host}:{port}")
    try:
        yield Sandbox(core, base_url, core.gateway.public_url)
    finally:
        await core.aclose()
        await _stop(server)
        sock.close()


# Discord's edge keeps an idle keep-alive connection open for minutes. uvicorn's default (5 s)
# equals httpx's pool expiry (5 s): a client reusing a connection at ~5 s idle raced the close
# and got a ReadError on a POST it must not retry (an interaction), failing the task.
KEEP_ALIVE_S = 120


async def _stop(server: uvicorn.Server, grace: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    for listener in server.servers:
        listener.close()
    state = server.server_state
    for connection in list(state.connections):
        connection.shutdown()
    deadline = loop.time() + grace
    while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.005)  # uvicorn offers no event for "all connections closed"
    for task in list(state.tasks):
        task.cancel()
    await asyncio.gather(*state.tasks, return_exceptions=True)
    for listener in server.servers:
        await listener.wait_closed()


async def serve_forever(
    host: str,
    port: int,
    accounts: int,
    speed: str,
    seed: int,
    announce: Callable[[str, list[str]], None],
    stop: asyncio.Event | None = None,
    link_ttl_s: float | None = None,
) -> None:
    """`mjrelay sandbox`: run until `stop` is set (Ctrl+C), after printing the accounts."""
    async with start_sandbox(
        host, port, accounts, speed, seed, log_level="info", link_ttl_s=link_ttl_s
    ) as sandbox:
        announce(
            sandbox.base_url,
            [
                f"{a.name}: token={a.token} user_id={a.user_id} guild_id={a.guild_id} "
                f"channel_id={a.channel_id}"
                for a in sandbox.accounts
            ],
        )
        await (stop or asyncio.Event()).wait()
