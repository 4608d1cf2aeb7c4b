"""schemathesis over /openapi.json: a few generated requests per operation, no server error.

Cases are generated up front (hypothesis is synchronous), then sent through httpx.ASGITransport
to the app on a real database. Image URLs in generated bodies never leave the machine: the
image fetcher's DNS answers with a documentation address, which the SSRF guard refuses.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from app.api import images
from app.api.openapi import build
from app.callbacks.transport import make_client
from tests.integration.api.conftest import finish

EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}


def generate_cases() -> list[Any]:
    schema = schemathesis.openapi.from_dict(build())
    cases: list[Any] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/events":
            continue  # an endless stream: covered by tests/integration/dashboard
        for mode, count in EXAMPLES.items():

            @given(operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=count,
                database=None,
                deadline=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def collect(case: Any) -> None:
                cases.append(case)

            with warnings.catch_warnings(), contextlib.suppress(Unsatisfiable):
                warnings.simplefilter("ignore")
                collect()  # Unsatisfiable: nothing invalid to say to a route without inputs
    return cases


async def _nowhere(host: str, port: int) -> list[str]:
    return ["203.0.113.7"]  # TEST-NET-3: refused by the guard, never dialled


def _request_kwargs(case: Any) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://test")
    kwargs.pop("cookies", None)
    headers = {k: v for k, v in kwargs.pop("headers", {}).items() if k.lower() != "connection"}
    if "data" in kwargs and isinstance(kwargs["data"], str | bytes):
        kwargs["content"] = kwargs.pop("data")
    return {**kwargs, "headers": headers}


@pytest.mark.slow
async def test_no_server_errors(api, engine, monkeypatch) -> None:
    monkeypatch.setattr(images, "make_client", functools.partial(make_client, resolver=_nowhere))
    cases = generate_cases()
    assert len(cases) > 100
    failures = []
    async with api(banned_words=("nude",)) as client:
        done = (await client.post("/novicezk/mj/submit/imagine", json={"prompt": "cat"})).json()
        await finish(engine, done["result"], account=None)
        for case in cases:
            kwargs = _request_kwargs(case)
            try:
                response = await client.request(**kwargs)
            except Exception as exc:  # a client-side encoding problem is not a server error
                if "Invalid" in type(exc).__name__ or isinstance(exc, (TypeError, ValueError)):
                    continue
                raise
            if response.status_code >= 500 and response.status_code != 502:
                failures.append(
                    (kwargs["method"], kwargs["url"], response.status_code, response.text)
                )
            elif response.status_code != 204:
                # JSON everywhere, images from /files, Prometheus text from /metrics only.
                text_ok = ("text/plain",) if kwargs["url"].endswith("/metrics") else ()
                assert response.headers.get("content-type", "").startswith(
                    ("application/json", "image/", *text_ok)
                ), (kwargs, response.text)
    assert failures == []
