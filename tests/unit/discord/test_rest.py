"""REST transport against httpx.MockTransport (the network edge), with a fake clock."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tenacity import wait_none

from app.discord import errors
from app.discord.commands import UploadedAttachment
from app.discord.properties import DEFAULT_USER_AGENT
from app.discord.rest import DiscordRest, UploadFile

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gabcde.synthetic-token-value-for-tests-000"
API = "http://127.0.0.1:9/api/v9"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _rest(handler: Handler, clock: FakeTime, **kwargs: Any) -> DiscordRest:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return DiscordRest(
        TOKEN,
        api_base=API,
        client=client,
        clock=clock.clock,
        sleep=clock.sleep,
        retry_wait=wait_none(),
        **kwargs,
    )


class Script:
    """Replies in order; records requests."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.responses.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def _429(retry_after: float, *, is_global: bool = False) -> httpx.Response:
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    return httpx.Response(429, json=body, headers={"Retry-After": str(int(retry_after) + 1)})


async def test_send_interaction_headers_and_204() -> None:
    clock = FakeTime()
    script = Script(httpx.Response(204))
    async with _rest(script, clock) as rest:
        await rest.send_interaction({"type": 2, "nonce": "1"})
    request = script.requests[0]
    assert request.method == "POST" and request.url.path == "/api/v9/interactions"
    assert request.headers["Authorization"] == TOKEN  # raw user token, no "Bot " prefix
    assert request.headers["User-Agent"] == DEFAULT_USER_AGENT
    props = json.loads(base64.b64decode(request.headers["X-Super-Properties"]))
    assert props["browser_user_agent"] == DEFAULT_USER_AGENT
    assert json.loads(request.content) == {"type": 2, "nonce": "1"}


async def test_send_interaction_requires_204() -> None:
    async with _rest(Script(httpx.Response(200, json={})), FakeTime()) as rest:
        with pytest.raises(errors.UnexpectedResponse):
            await rest.send_interaction({})


async def test_429_waits_retry_after_then_succeeds(spec_fixture: Callable[..., Any]) -> None:
    fixture = spec_fixture("rate-limit-429.response.json")
    clock = FakeTime()
    script = Script(
        httpx.Response(429, json=fixture["body"], headers=fixture["headers"]), httpx.Response(204)
    )
    async with _rest(script, clock) as rest:
        await rest.send_interaction({})
    assert len(script.requests) == 2
    assert clock.sleeps == [pytest.approx(2.345)]


async def test_global_429_delays_other_routes() -> None:
    clock = FakeTime()
    script = Script(_429(3.0, is_global=True), httpx.Response(204), httpx.Response(200, json=[]))
    async with _rest(script, clock) as rest:
        await rest.send_interaction({})
        assert clock.sleeps == [pytest.approx(3.0)]
        rest.limits.on_429("GET /x", 2.0, True, clock.now)  # another global window
        await rest.get_messages("1200000000000000002")
    assert clock.sleeps == [pytest.approx(3.0), pytest.approx(2.0)]


async def test_429_beyond_max_wait_raises_rate_limited() -> None:
    async with _rest(Script(_429(120.0)), FakeTime(), max_rate_limit_wait=60) as rest:
        with pytest.raises(errors.RateLimited) as info:
            await rest.send_interaction({})
    assert info.value.retry_after == 120.0


async def test_exhausted_bucket_waits_before_next_request() -> None:
    clock = FakeTime()
    headers = {
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": "1.5",
        "X-RateLimit-Bucket": "b1",
    }
    script = Script(httpx.Response(204, headers=headers), httpx.Response(204))
    async with _rest(script, clock) as rest:
        await rest.send_interaction({})
        await rest.send_interaction({})
    assert clock.sleeps == [pytest.approx(1.5)]


async def test_5xx_retried_for_reads_not_for_interactions() -> None:
    clock = FakeTime()
    script = Script(
        httpx.Response(502), httpx.Response(503), httpx.Response(200, json=[{"id": "1"}])
    )
    async with _rest(script, clock) as rest:
        assert await rest.get_messages("5") == [{"id": "1"}]
    assert len(script.requests) == 3
    once = Script(httpx.Response(502), httpx.Response(204))
    async with _rest(once, clock) as rest:
        with pytest.raises(errors.ServerError):
            await rest.send_interaction({})
    assert len(once.requests) == 1  # may have been created: never submit twice


async def test_network_errors(spec_fixture: Callable[..., Any]) -> None:
    clock = FakeTime()
    refused = Script(httpx.ConnectError("refused"), httpx.Response(204))
    async with _rest(refused, clock) as rest:
        await rest.send_interaction({})  # never reached Discord: safe to retry
    assert len(refused.requests) == 2
    timeout = Script(httpx.ReadTimeout("slow"), httpx.Response(204))
    async with _rest(timeout, clock) as rest:
        with pytest.raises(errors.TransportError) as info:
            await rest.send_interaction({})
    assert info.value.maybe_sent and TOKEN not in str(info.value)
    always = Script(*[httpx.ConnectError("refused")] * 4)
    async with _rest(always, clock, max_attempts=4) as rest:
        with pytest.raises(errors.TransportError):
            await rest.get_gateway_url()
    assert len(always.requests) == 4


@pytest.mark.parametrize(
    ("status", "key", "cls"),
    [
        pytest.param(400, "400_invalid_form_body", errors.InvalidFormBody, id="400"),
        pytest.param(401, "401_unauthorized", errors.Unauthorized, id="401"),
        pytest.param(403, "403_missing_access", errors.MissingAccess, id="403"),
        pytest.param(404, "404_unknown_message", errors.UnknownMessage, id="404"),
    ],
)
async def test_typed_errors(
    spec_fixture: Callable[..., Any], status: int, key: str, cls: type
) -> None:
    body = spec_fixture("rate-limit-429.response.json", "other_error_bodies", key)
    script = Script(httpx.Response(status, json=body))
    async with _rest(script, FakeTime()) as rest:
        with pytest.raises(cls) as info:
            await rest.send_interaction({})
    assert len(script.requests) == 1
    assert TOKEN not in str(info.value)


async def test_upload_flow(spec_fixture: Callable[..., Any]) -> None:
    upload = spec_fixture("attachments-upload.json")
    slot = dict(upload["step1_response_200"]["attachments"][0])
    slot["upload_url"] = "http://127.0.0.1:9/_upload/0b9c/fox.png?upload_id=1"
    script = Script(httpx.Response(200, json={"attachments": [slot]}), httpx.Response(200))
    data = b"\x89PNG fake"
    async with _rest(script, FakeTime()) as rest:
        result = await rest.upload_attachments(
            "1200000000000000002", [UploadFile("fox.png", data, "image/png")]
        )
    assert result == [
        UploadedAttachment(
            id="0",
            filename="fox.png",
            uploaded_filename="0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e/fox.png",
        )
    ]
    step1, step2 = script.requests
    assert step1.url.path == "/api/v9/channels/1200000000000000002/attachments"
    assert json.loads(step1.content)["files"][0] == {
        "id": "0",
        "filename": "fox.png",
        "file_size": len(data),
        "is_clip": False,
    }
    assert step2.method == "PUT" and step2.content == data
    assert step2.url.path == "/_upload/0b9c/fox.png"
    assert "Authorization" not in step2.headers
    assert step2.headers["Content-Type"] == "image/png"


async def test_command_index_is_cached_per_guild(spec_fixture: Callable[..., Any]) -> None:
    body = spec_fixture("application-command-index.response.json")
    script = Script(*[httpx.Response(200, json=body)] * 3)
    async with _rest(script, FakeTime()) as rest:
        first = await rest.get_command_index(guild_id="1")
        again = await rest.get_command_index(guild_id="1")
        await rest.get_command_index(guild_id="2")
        await rest.get_command_index(guild_id="1", refresh=True)
    assert first is again and first.get("imagine").id == "938956540159881230"
    assert [r.url.path for r in script.requests] == [
        "/api/v9/guilds/1/application-command-index",
        "/api/v9/guilds/2/application-command-index",
        "/api/v9/guilds/1/application-command-index",
    ]


async def test_gateway_url_and_messages() -> None:
    script = Script(
        httpx.Response(200, json={"url": "ws://127.0.0.1:9"}),
        httpx.Response(200, json=[{"id": "2"}, "junk", {"id": "1"}]),
        httpx.Response(200, json={"id": "5", "attachments": []}),
    )
    async with _rest(script, FakeTime()) as rest:
        assert await rest.get_gateway_url() == "ws://127.0.0.1:9"
        assert await rest.get_messages("7", limit=500, after="3") == [{"id": "2"}, {"id": "1"}]
        assert (await rest.send_message("7", "hi"))["id"] == "5"
    assert dict(script.requests[1].url.params) == {"limit": "100", "after": "3"}


async def test_inpaint_submit() -> None:
    script = Script(
        httpx.Response(200, json={"success": True}), httpx.Response(200, json={"success": False})
    )
    url = "http://127.0.0.1:9/inpaint/api/submit-job"
    async with _rest(script, FakeTime()) as rest:
        assert await rest.submit_inpaint({"customId": "t"}, url=url) == {"success": True}
        with pytest.raises(errors.UnexpectedResponse):
            await rest.submit_inpaint({"customId": "t"}, url=url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/inpaint/api/submit-job",  # the sandbox: same origin as the API
        "https://936929561302675456.discordsays.com/inpaint/api/submit-job",  # real Discord
    ],
)
async def test_inpaint_submit_carries_no_token(url: str) -> None:
    """The editor is the bot's web page, not Discord's API: it gets browser headers only."""
    script = Script(httpx.Response(200, json={"success": True}))
    async with _rest(script, FakeTime()) as rest:
        await rest.submit_inpaint({"customId": "t", "mask": "AA=="}, url=url)
    (request,) = script.requests
    assert "Authorization" not in request.headers
    assert "X-Super-Properties" not in request.headers
    assert TOKEN not in str(request.headers.raw) and TOKEN.encode() not in request.content
    assert request.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert request.headers["Origin"] == url.split("/inpaint", 1)[0]
    assert json.loads(request.content) == {"customId": "t", "mask": "AA=="}


@pytest.mark.parametrize(
    "url",
    [
        "https://936929561302675456.discordsays.com/inpaint/api/submit-job",
        "http://127.0.0.1:10/api/v9/interactions",  # same host, another port
        "https://127.0.0.1:9/api/v9/interactions",  # same host and port, another scheme
        "http://evil.example/api/v9/interactions",
    ],
)
async def test_token_goes_to_the_api_origin_only(url: str) -> None:
    script = Script(httpx.Response(200, json={}), httpx.Response(200, json={}))
    async with _rest(script, FakeTime()) as rest:
        await rest.request("POST", url, json={})  # authorized by default: still no token
        await rest.request("GET", "/users/@me")
    foreign, own = script.requests
    assert "Authorization" not in foreign.headers and "X-Super-Properties" not in foreign.headers
    assert own.headers["Authorization"] == TOKEN
