"""/openapi.json documents the `Idempotency-Key` header on every submit route the app serves.

The submit routes are found in the app's own routing table (every route whose endpoint a submit
row made, app/api/submit_route.py, the shared `/mj/submit/imagine|change`, and webman's
`/image/{method}` expanded by its handler table), not listed here, so a new submit route that
the document forgets fails this test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import BaseRoute, Mount, Route

from app.api import routing, submit_route, webman_routes
from tests.integration.api.conftest import body


def _submit_paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    shared = {routing.submit_imagine, routing.submit_change}
    webman_image = {webman_routes.image}
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from _submit_paths(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and "POST" in (route.methods or ()):
            path = prefix + route.path.replace(":str}", "}")
            endpoint = route.endpoint
            if endpoint.__module__ == submit_route.__name__ or endpoint in shared:
                yield path
            elif endpoint in webman_image:
                for controller, method in webman_routes.HANDLERS:
                    if controller == "image":
                        yield path.replace("{method}", method)


def _header(operation: dict[str, Any]) -> dict[str, Any] | None:
    found = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize(
    "settings",
    [{"webman_api_prefix": "api"}, {"submit_dialect": "discordxy"}],
    ids=["webman-prefix", "discordxy-submits"],
)
async def test_every_submit_route_documents_the_idempotency_key(api, settings) -> None:
    async with api(**settings) as client:
        paths = body(await client.get("/openapi.json"))["paths"]
        submits = sorted(set(_submit_paths(list(client.app.routes))))  # type: ignore[attr-defined]
    # every dialect, their prefixes, trueai's speed prefixes, webman's image methods
    assert {
        "/mj/imagine",
        "/mj/submit/imagine",
        "/mj-relax/mj/submit/blend",
        "/pika/animate",
    } <= set(submits)
    assert {"/webman/image/describe", "/discordxy/mj/change"} <= set(submits)
    missing = [path for path in submits if path not in paths or "post" not in paths[path]]
    assert missing == []
    undocumented = [path for path in submits if _header(paths[path]["post"]) is None]
    assert undocumented == []
    for path in submits:
        header = _header(paths[path]["post"])
        assert header is not None and header["in"] == "header" and not header["required"]
        assert header["schema"]["maxLength"] == 255
        if path.endswith("/submit/modal"):
            assert "creates no task" in header["description"]
        else:
            assert "24 hours" in header["description"]
            assert "different request" in header["description"]
    # reads are not submits: no header there
    assert _header(paths["/mj/task/{id}/fetch"]["get"]) is None
    assert _header(paths["/mj/status"]["get"]) is None


async def test_discordxy_submits_document_the_conflict_status(api) -> None:
    async with api() as client:
        paths = body(await client.get("/openapi.json"))["paths"]
    for path in ("/mj/imagine", "/discordxy/pika/create"):
        assert "409" in paths[path]["post"]["responses"], path
