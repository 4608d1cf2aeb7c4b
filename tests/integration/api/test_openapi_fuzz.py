"""schemathesis over the served /openapi.json: every operation, with an API secret set and unset.

Requests, all built up front (hypothesis is synchronous; derandomized, so the same every run):
- schemathesis cases: for every operation a few schema-valid and a few schema-violating ones;
- hostile variants of each operation's first valid case: every path and query parameter, and
  every body field, replaced in turn by values that pass a type check but not a database or an
  encoder (NUL, lone surrogates, huge text, 40-digit numbers, non-ASCII…), and every body field
  at once by values of the wrong type; webman's fields also as form fields (`f`, `f[]`, `f[k]`).
They go through httpx.ASGITransport to the app on a real database; with a secret set, each is sent
without it (and with a wrong or non-ASCII one), schemathesis cases also with it. For every one:
- no 5xx, and no exception escaping the app;
- nothing logged at ERROR or with a traceback (the dialect endpoints answer internal errors
  with a 200 envelope, so the log is where such a bug shows);
- no secret (the API secret, a Discord account token) in any response or log line;
- without the secret: nothing written, no task shown.
Image URLs in generated bodies never leave the machine: the image fetcher's DNS answers with a
documentation address, which the SSRF guard refuses.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from app.api import images
from app.callbacks.transport import make_client
from tests.hostile import ODD_STRINGS, log_problems, quote_any
from tests.integration.api.conftest import add_account, counts, finish

EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
SECRET = "fuzz-secret-4b1d"
ACCOUNT_TOKEN = "SECRET-TOKEN-xyz"  # tests/integration/api/conftest.py add_account
STREAMS = {"/events"}  # endless Server-Sent Events: covered by tests/integration/dashboard
WRONG_SECRETS: list[dict[str, Any]] = [
    {},
    {"mj-api-secret": "wrong"},
    {"authorization": "Bearer " + SECRET[:-1]},
    {"mj-api-secret": "sécret-猫".encode()},  # non-ASCII bytes on the wire
    {"authorization": b"Bearer \xff\xfe"},
]
# Values of the wrong type for any field: each must be refused in the dialect's envelope.
WRONG_TYPES: list[Any] = [10**30, float("nan"), {"$gt": ""}, ["x"], True, -1.5]


# ------------------------------------------------------------------------------ schemathesis


def generate_cases(document: dict[str, Any]) -> list[Any]:
    return list(_generate(json.dumps(document, sort_keys=True)))


@functools.cache  # the same document for both runs: generate once (it takes seconds)
def _generate(document: str) -> tuple[Any, ...]:
    schema = schemathesis.openapi.from_dict(json.loads(document))
    cases: list[Any] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in STREAMS:
            continue
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
    return tuple(cases)


def _request(case: Any) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://test")
    kwargs.pop("cookies", None)
    headers = {k: v for k, v in kwargs.pop("headers", {}).items() if k.lower() != "connection"}
    if "data" in kwargs and isinstance(kwargs["data"], str | bytes):
        kwargs["content"] = kwargs.pop("data")
    return {**kwargs, "headers": headers}


# ------------------------------------------------------------------------------ hostile variants


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()  # escapes survive: \u0000, \ud800


def _url(path: str, path_values: dict[str, str], query: dict[str, str]) -> str:
    target = path.format(**{n: quote_any(v) for n, v in path_values.items()})
    pairs = "&".join(f"{quote_any(n)}={quote_any(v)}" for n, v in query.items())
    return f"http://test{target}" + (f"?{pairs}" if pairs else "")


def _body_fields(operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    return list(schema.get("properties", {}))


def _hostile_variants(document: dict[str, Any], cases: list[Any]) -> Iterator[dict[str, Any]]:
    """For each distinct operation: its first valid case with parameters and fields replaced."""
    seen: set[tuple[str, str, str]] = set()
    for case in cases:
        path, method = case.operation.path, case.method.lower()
        operation = document["paths"][path][method]
        # /novicezk/mj/task/list and /mj-relax/mj/task/list are /mj/task/list again (the same
        # handler; a prefix's submits differ only by the mode they ask): one set of variants.
        plain = re.sub(r"^/(discordxy|novicezk|webman|mj-fast|mj-relax|mj-turbo)/", "/", path)
        key = (method, operation["summary"], plain)
        if key in seen or path in STREAMS:
            continue
        seen.add(key)
        base = _request(case)
        params = {p["name"]: p for p in operation.get("parameters", [])}
        path_values = {n: str(v) for n, v in (case.path_parameters or {}).items()}
        query = {n: str(v) for n, v in (case.query or {}).items()}

        for name, param in params.items():
            for odd in ODD_STRINGS:
                if param["in"] == "path":
                    yield {**base, "url": _url(path, {**path_values, name: odd}, query)}
                elif param["in"] == "query":
                    yield {**base, "url": _url(path, path_values, {**query, name: odd})}
        fields = _body_fields(operation)
        if not fields:
            continue
        valid = base.get("json") if isinstance(base.get("json"), dict) else {}
        plain = {k: v for k, v in base.items() if k != "json"}
        headers = {**base["headers"], "content-type": "application/json"}
        for field in fields:
            for odd in ODD_STRINGS:
                body = _json({**valid, field: odd})
                yield {**plain, "headers": headers, "content": body}
        for wrong in WRONG_TYPES:
            body = _json({**valid, **dict.fromkeys(fields, wrong)})
            yield {**plain, "headers": headers, "content": body}
        if operation["tags"] == ["webman"]:  # webman reads forms too: `images[]=…`, `data[k]=…`
            form = {"content-type": "application/x-www-form-urlencoded"}
            for field in fields:
                for odd in ODD_STRINGS:
                    names = (
                        [field] if odd.isprintable() else [field, f"{field}[]", f"{field}[{odd}]"]
                    )
                    for name in names:
                        body = f"{quote_any(name)}={quote_any(odd)}".encode()
                        yield {**plain, "headers": {**base["headers"], **form}, "content": body}


# ------------------------------------------------------------------------------ checks


def _without_secret(request: dict[str, Any], index: int) -> dict[str, Any]:
    headers = {
        k: v
        for k, v in request["headers"].items()
        if k.lower() not in ("mj-api-secret", "authorization")
    }
    return {**request, "headers": {**headers, **WRONG_SECRETS[index % len(WRONG_SECRETS)]}}


def _with_secret(request: dict[str, Any]) -> dict[str, Any]:
    plain = _without_secret(request, 0)
    return {**plain, "headers": {**plain["headers"], "mj-api-secret": SECRET}}


def _problem(request: httpx.Request, response: httpx.Response) -> str | None:
    status, text = response.status_code, response.text
    if status >= 500:
        return f"{status} {text[:300]}"
    if SECRET in text or ACCOUNT_TOKEN in text:
        return "a secret in the response"
    if status == 204:
        return None
    # JSON everywhere, images from /files, Prometheus text from /metrics only.
    text_ok = ("text/plain",) if request.url.path.endswith("/metrics") else ()
    content_type = response.headers.get("content-type", "")
    if not content_type.startswith(("application/json", "image/", "video/", *text_ok)):
        return f"content-type {content_type!r}"
    return None


def _plan(
    cases: list[Any], hostile: list[dict[str, Any]], secret: str | None
) -> list[tuple[dict[str, Any], bool]]:
    """(request, sent with the right secret?): every request without it first, then with it."""
    generated = [_request(case) for case in cases]
    if secret is None:
        return [(r, True) for r in [*generated, *hostile]]
    plan = [(_without_secret(r, i), False) for i, r in enumerate([*generated, *hostile])]
    return plan + [(_with_secret(r), True) for r in generated]


@pytest.mark.slow
@pytest.mark.parametrize("secret", [None, SECRET], ids=["no-secret", "secret"])
async def test_no_server_errors(
    api, engine, monkeypatch, caplog: pytest.LogCaptureFixture, secret: str | None
) -> None:
    monkeypatch.setattr(images, "make_client", functools.partial(make_client, resolver=_nowhere))
    caplog.set_level(logging.INFO)
    failures: list[tuple[str, str, str, str]] = []
    async with api(banned_words=("nude",), api_secret=secret) as setup:
        # Exceptions the app lets escape become 500s here, so they are counted, not raised.
        transport = httpx.ASGITransport(app=setup.app, raise_app_exceptions=False)  # type: ignore[attr-defined]
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        served = await client.get("/openapi.json")
        assert served.status_code == 200
        document = served.json()
        cases = generate_cases(document)
        hostile = list(_hostile_variants(document, cases))
        assert len(cases) > 100 and len(hostile) > 500
        auth = {"mj-api-secret": SECRET} if secret else {}
        await add_account(engine)
        done = await client.post(
            "/novicezk/mj/submit/imagine", json={"prompt": "cat"}, headers=auth
        )
        task_id = done.json()["result"]
        await finish(engine, task_id, account=None)
        before = await counts(engine)
        for spec, authorized in _plan(cases, hostile, secret):
            try:
                request = client.build_request(**spec)
            except (httpx.InvalidURL, TypeError, ValueError, UnicodeEncodeError):
                continue  # httpx cannot put that on the wire: no server involved
            if authorized and before is not None:  # the requests without the secret are done
                assert await counts(engine) == before, "a request without the secret wrote"
                before = None
            response = await client.send(request)
            problem = _problem(request, response)
            if problem is None and not authorized and task_id in response.text:
                problem = "a request without the secret read a task"
            if problem:
                sent = request.content[:120].decode("utf-8", "replace")
                failures.append((request.method, str(request.url)[:200], sent, problem))
        await client.aclose()
    assert not failures, "\n".join(" ".join(f) for f in failures)
    logged = log_problems(caplog.records, [SECRET, ACCOUNT_TOKEN])
    assert not logged, "\n".join(logged)


async def _nowhere(host: str, port: int) -> list[str]:
    return ["203.0.113.7"]  # TEST-NET-3: refused by the guard, never dialled
