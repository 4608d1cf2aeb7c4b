"""Property tests: every dialect parser, fed anything, raises nothing but the dialect's error.

The dialect's validation error is `CommandError` (app/dialects/fields.py `invalid`); the dialect
must also be able to render it (`error_body`) into its envelope, which is what the client gets.
Parsers live in `app/dialects/<dialect>_requests.py`, envelopes in `<dialect>.py`.
A new `parse_*` function in a requests module fails `test_every_parser_is_covered` until it is
added to `PARSERS` below.
"""

from __future__ import annotations

import inspect
import io
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import UploadFile

from app.dialects import (
    discordxy,
    discordxy_requests,
    novicezk,
    novicezk_requests,
    webman,
    webman_requests,
)
from app.domain.errors import CommandError, ErrorKind
from app.domain.images import InputImage
from app.domain.limits import InputLimits
from tests.hostile import (
    JOB_HASH,
    PNG_1PX,
    PNG_DATA_URL,
    PROPERTY_SETTINGS,
    any_text,
    bodies,
    hostile_values,
    json_values,
    odd_strings,
)

MAX_IMAGE_BYTES = 64 * 1024
TASK_ID = "1234567890123456"
CUSTOM_ID = f"MJ::JOB::upsample::1::{JOB_HASH}"
NZ_COMMON = ("notifyHook", "state", "botType", "accountFilter")
WM_COMMON = ("notifyUrl", "data")


# A dialect's parsers live in its requests module; its error envelope in the dialect module.
REQUESTS = {discordxy: discordxy_requests, novicezk: novicezk_requests, webman: webman_requests}


def _sized(parse: Callable[[Any, InputLimits], Any]) -> Callable[[Any], Any]:
    return lambda body: parse(body, InputLimits(image_bytes=MAX_IMAGE_BYTES))


# (dialect module, parser name) -> (call with one body, a valid body, field names it reads)
PARSERS: dict[tuple[ModuleType, str], tuple[Callable[[Any], Any], dict[str, Any], tuple[str, ...]]]
PARSERS = {
    (discordxy, "parse_imagine"): (
        discordxy_requests.parse_imagine,
        {"prompt": "a cat", "notifyUrl": "https://example.com/hook"},
        ("prompt", "notifyUrl"),
    ),
    (discordxy, "parse_change"): (
        discordxy_requests.parse_change,
        {"taskId": TASK_ID, "action": "U1"},
        ("taskId", "action", "notifyUrl"),
    ),
    (discordxy, "parse_pika_create"): (
        discordxy_requests.parse_pika_create,
        {"prompt": "a wave"},
        ("prompt", "notifyUrl"),
    ),
    (novicezk, "parse_imagine"): (
        _sized(novicezk_requests.parse_imagine),
        {"prompt": "a cat", "base64Array": [PNG_DATA_URL], "state": "s"},
        ("prompt", "base64Array", "base64", *NZ_COMMON),
    ),
    (novicezk, "parse_change"): (
        novicezk_requests.parse_change,
        {"taskId": TASK_ID, "action": "UPSCALE", "index": 1},
        ("taskId", "action", "index", *NZ_COMMON),
    ),
    (novicezk, "parse_simple_change"): (
        novicezk_requests.parse_simple_change,
        {"content": f"{TASK_ID} U1"},
        ("content", *NZ_COMMON),
    ),
    (novicezk, "parse_describe"): (
        _sized(novicezk_requests.parse_describe),
        {"base64": PNG_DATA_URL},
        ("base64", "link", *NZ_COMMON),
    ),
    (novicezk, "parse_blend"): (
        _sized(novicezk_requests.parse_blend),
        {"base64Array": [PNG_DATA_URL, PNG_DATA_URL], "dimensions": "SQUARE"},
        ("base64Array", "dimensions", *NZ_COMMON),
    ),
    (novicezk, "parse_shorten"): (
        novicezk_requests.parse_shorten,
        {"prompt": "a cat"},
        ("prompt", *NZ_COMMON),
    ),
    (novicezk, "parse_action"): (
        novicezk_requests.parse_action,
        {"taskId": TASK_ID, "customId": CUSTOM_ID},
        ("taskId", "customId", *NZ_COMMON),
    ),
    (novicezk, "parse_modal"): (
        _sized(novicezk_requests.parse_modal),
        {"taskId": TASK_ID, "prompt": "a cat", "maskBase64": PNG_DATA_URL},
        ("taskId", "prompt", "maskBase64"),
    ),
    (novicezk, "parse_ids"): (novicezk_requests.parse_ids, {"ids": [TASK_ID, 1]}, ("ids",)),
    (webman, "parse_imagine"): (
        webman_requests.parse_imagine,
        {"prompt": "a cat", "images": ["https://example.com/a.png"], "data": {"k": 1}},
        ("prompt", "images", *WM_COMMON),
    ),
    (webman, "parse_blend"): (
        webman_requests.parse_blend,
        {"images": ["https://example.com/a.png", "https://example.com/b.png"]},
        ("images", "dimensions", *WM_COMMON),
    ),
    (webman, "parse_describe"): (
        webman_requests.parse_describe,
        {"images": ["https://example.com/a.png"]},
        ("images", *WM_COMMON),
    ),
    (webman, "parse_action"): (
        _sized(webman_requests.parse_action),
        {"taskId": TASK_ID, "customId": CUSTOM_ID, "prompt": "p", "mask": PNG_DATA_URL},
        ("taskId", "customId", "prompt", "mask", *WM_COMMON),
    ),
}
# Parsers with other signatures, tested by their own properties below.
OTHER_SIGNATURES = {
    (discordxy, "parse_pika_animate"),
    (novicezk, "parse_cancel"),
}


def _upload(data: bytes = b"x") -> UploadFile:
    return UploadFile(file=io.BytesIO(data), filename="f.png")


# webman and Pika animate also read forms: a field may be an uploaded file, not a string.
form_values = hostile_values | st.builds(_upload, st.sampled_from([b"", b"x", PNG_1PX]))


def _only_dialect_errors(module: ModuleType, call: Callable[[], Any]) -> None:
    try:
        call()
    except CommandError as err:
        assert isinstance(err.message, str) and err.message
        status, body = module.error_body(err)  # the envelope the client gets must render too
        assert isinstance(body, bytes) and 200 <= status < 500


def test_every_parser_is_covered() -> None:
    found = {
        (module, name)
        for module, requests in REQUESTS.items()
        for name, value in vars(requests).items()
        if name.startswith("parse_") and inspect.isfunction(value)
    }
    assert found == set(PARSERS) | OTHER_SIGNATURES


@pytest.mark.parametrize(
    "key", list(PARSERS), ids=[f"{m.__name__.rsplit('.', 1)[1]}.{n}" for m, n in PARSERS]
)
def test_parser_raises_only_its_validation_error(key: tuple[ModuleType, str]) -> None:
    parse, valid, fields = PARSERS[key]
    module = key[0]
    parse(valid)  # the template really is valid: the hostile variants are near-valid

    extra = st.dictionaries(st.sampled_from(sorted({*valid, *fields})), form_values, max_size=6)
    strategy = bodies(valid, fields) | extra if module is webman else bodies(valid, fields)

    @PROPERTY_SETTINGS
    @given(strategy)
    def check(body: Any) -> None:
        _only_dialect_errors(module, lambda: parse(body))

    check()


@PROPERTY_SETTINGS
@given(
    prompt=form_values,
    image=st.none() | st.just(InputImage(data=PNG_1PX, content_type="image/png", source="upload")),
)
def test_pika_animate_raises_only_its_validation_error(prompt: Any, image: Any) -> None:
    _only_dialect_errors(
        discordxy, lambda: discordxy_requests.parse_pika_animate(({"prompt": prompt}, image))
    )


@PROPERTY_SETTINGS
@given(task_id=st.text(st.characters(codec=None, categories=None)))
def test_cancel_raises_only_its_validation_error(task_id: str) -> None:
    _only_dialect_errors(novicezk, lambda: novicezk_requests.parse_cancel(task_id))


@PROPERTY_SETTINGS
@given(
    module=st.sampled_from([discordxy, novicezk, webman]),
    kind=st.sampled_from(list(ErrorKind)),
    message=any_text | odd_strings,
    echoed=any_text | odd_strings,
)
def test_error_envelopes_render_any_message(
    module: ModuleType, kind: ErrorKind, message: str, echoed: str
) -> None:
    """Messages echo client input (`task \\ud800 does not exist`): every envelope still renders."""
    err = CommandError(kind, message or "refused", word=echoed, prompt=echoed, description=echoed)
    status, body = module.error_body(err)
    assert 200 <= status < 500
    json.loads(body)


@PROPERTY_SETTINGS
@given(body=json_values)
def test_novicezk_sniffing_never_raises(body: Any) -> None:
    assert novicezk_requests.is_novicezk_body(body) in (True, False)
