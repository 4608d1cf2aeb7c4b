"""`python -m bench.files.serve PORT FILE`: the baseline of the `files` scenario.

Starlette's own `FileResponse` of one file on disk, on the same path as mjrelay's result URLs,
under exactly the uvicorn settings of `mjrelay web` (bench/http/serve.py `config`).
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from bench.http.serve import config


def baseline_app(path: str) -> Starlette:
    async def serve(request: Request) -> FileResponse:
        return FileResponse(path, media_type="image/png")

    return Starlette(routes=[Route("/files/{task_id}/{token}/{name}", serve, methods=["GET"])])


if __name__ == "__main__":
    uvicorn.Server(config(baseline_app(sys.argv[2]), int(sys.argv[1]))).run()
