"""`python -m bench.http.serve {mjrelay|bare} PORT`: an app under the web uvicorn settings.

Both apps run with exactly the `uvicorn.Config` that `mjrelay web` uses (app/serve.py
`_web_server`: no access log, no log config, lifespan on, uvicorn's automatic loop and HTTP
parser — uvloop and httptools when installed), on 127.0.0.1.

- mjrelay: `create_app(settings, DATABASE_URL)`, the whole web process (every dialect, dashboard).
- bare: Starlette with two routes on the same paths. The fetch route returns a constant JSON body
  of the same shape and size as mjrelay's (no database); the submit route parses the JSON body and
  INSERTs one row with asyncpg (a pool of 10, as mjrelay's engine) before answering.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BARE_SCHEMA = """
CREATE TABLE IF NOT EXISTS bare_tasks (
    id text PRIMARY KEY, prompt text NOT NULL, state text, created_at timestamptz DEFAULT now()
)
"""


def bare_app(dsn: str, fetch_body: dict[str, Any]) -> Starlette:
    import asyncpg

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    async def fetch(request: Request) -> JSONResponse:
        return JSONResponse({**fetch_body, "id": request.path_params["id"]})

    async def submit(request: Request) -> JSONResponse:
        body = await request.json()
        task_id = str(uuid.uuid4().int)[:16]
        async with request.app.state.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO bare_tasks (id, prompt, state) VALUES ($1, $2, $3)",
                task_id, body.get("prompt", ""), body.get("state"),
            )  # fmt: skip
        return JSONResponse({"code": 1, "description": "Submitted", "result": task_id})

    routes = [
        Route("/mj/task/{id}/fetch", fetch, methods=["GET"]),
        Route("/mj/submit/imagine", submit, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def config(app: Any, port: int) -> uvicorn.Config:
    """The web process's settings (app/serve.py `_web_server`), on loopback."""
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )


def main(which: str, port: int) -> None:
    if which == "mjrelay":
        from app.config import load_settings
        from app.web import create_app

        settings = load_settings()
        assert settings.database_url
        app: Any = create_app(settings, settings.database_url)
    else:
        body = json.loads(os.environ["BENCH_FETCH_BODY"])
        app = bare_app(os.environ["BENCH_BARE_DSN"], body)
    uvicorn.Server(config(app, port)).run()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
