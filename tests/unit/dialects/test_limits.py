"""Input limits (issue 12, part 3) in every dialect's parser and envelope (the settings are in
tests/unit/test_config.py, the limits themselves in tests/unit/domain/test_limits.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from app.dialects import (
    discordxy,
    discordxy_requests,
    novicezk,
    novicezk_requests,
    webman,
    webman_requests,
)
from app.domain.errors import CommandError, ErrorKind
from app.domain.limits import DEFAULT_LIMITS, InputLimits

PNG_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhf"
    "DwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
SMALL = InputLimits(prompt_chars=10, image_bytes=1024, imagine_images=2, client_data_bytes=64)
KIB = InputLimits(image_bytes=1024)  # the default limits but a 1 KiB image


def _refusal(parse: Callable[[], object]) -> CommandError:
    with pytest.raises(CommandError) as caught:
        parse()
    return caught.value


LONG = "a cat " * 2  # 12 characters > SMALL.prompt_chars


@pytest.mark.parametrize(
    "parse",
    [
        lambda: discordxy_requests.parse_imagine({"prompt": LONG}, SMALL),
        lambda: discordxy_requests.parse_pika_create({"prompt": LONG}, SMALL),
        lambda: discordxy_requests.parse_pika_animate(({"prompt": LONG}, object()), SMALL),  # type: ignore[arg-type]
    ],
)
def test_discordxy_refuses_a_long_prompt_with_400(parse: Callable[[], object]) -> None:
    err = _refusal(parse)
    assert err.kind == ErrorKind.INVALID
    status, body = discordxy.error_body(err)
    assert status == 400
    assert json.loads(body) == {
        "code": 400,
        "result": None,
        "message": "prompt is longer than 10 characters",
    }


@pytest.mark.parametrize(
    ("parse", "description"),
    [
        (
            lambda: novicezk_requests.parse_imagine({"prompt": LONG}, SMALL),
            "prompt参数错误: 超过10个字符 (prompt is longer than 10 characters)",
        ),
        (
            lambda: novicezk_requests.parse_shorten({"prompt": LONG}, SMALL),
            "prompt参数错误: 超过10个字符 (prompt is longer than 10 characters)",
        ),
        (
            lambda: novicezk_requests.parse_modal({"taskId": "1", "prompt": LONG}, SMALL),
            "prompt参数错误: 超过10个字符 (prompt is longer than 10 characters)",
        ),
        (
            lambda: novicezk_requests.parse_imagine(
                {"prompt": "cat", "base64Array": [PNG_URL, PNG_URL], "base64": PNG_URL},
                SMALL,
            ),
            "base64List参数错误: 最多2张图片 (at most 2 images)",
        ),
        (
            lambda: novicezk_requests.parse_imagine({"prompt": "cat", "state": "s" * 256}, KIB),
            "state参数错误",
        ),
        (
            lambda: novicezk_requests.parse_describe({"link": "https://h/" + "a" * 5000}, KIB),
            "link参数错误",
        ),
        (
            lambda: novicezk_requests.parse_blend({"base64Array": [PNG_URL] * 6}, KIB),
            "base64List参数错误",
        ),
    ],
)
def test_novicezk_refuses_oversize_fields_with_code_4(
    parse: Callable[[], object], description: str
) -> None:
    err = _refusal(parse)
    status, body = novicezk.error_body(err)
    assert status == 200
    assert json.loads(body) == {
        "code": novicezk.CODE_VALIDATION,
        "description": description,
        "result": None,
        "properties": {},
    }


def test_an_oversize_base64_image_is_refused_before_decoding() -> None:
    big = "data:image/png;base64," + "A" * 4000  # ~3,000 bytes > 1,024
    err = _refusal(
        lambda: novicezk_requests.parse_imagine({"prompt": "cat", "base64Array": [big]}, KIB)
    )
    assert json.loads(novicezk.error_body(err)[1])["description"] == (
        "base64格式错误: image is larger than 1024 bytes"
    )
    err = _refusal(
        lambda: webman_requests.parse_action(
            {"taskId": "1" * 19, "customId": "MJ::Inpaint::1::h::SOLO", "prompt": "x", "mask": big},
            KIB,
        )
    )
    assert json.loads(webman.error_body(err)[1])["msg"] == (
        "mask is invalid: image is larger than 1024 bytes"
    )


def test_novicezk_imagine_takes_up_to_the_image_limit() -> None:
    cmd = novicezk_requests.parse_imagine({"prompt": "cat", "base64Array": [PNG_URL] * 2}, SMALL)
    assert len(cmd.images) == 2


@pytest.mark.parametrize(
    ("parse", "message"),
    [
        (
            lambda: webman_requests.parse_imagine({"prompt": LONG}, SMALL),
            "prompt is invalid: longer than 10 characters",
        ),
        (
            lambda: webman_requests.parse_imagine(
                {"prompt": "cat", "images": ["https://h/1.png"] * 3}, SMALL
            ),
            "images is invalid: at most 2 images",
        ),
        (
            lambda: webman_requests.parse_blend({"images": ["https://h/1.png"] * 6}, SMALL),
            "images is invalid: at most 5 images",
        ),
        (
            lambda: webman_requests.parse_imagine(
                {"prompt": "cat", "data": {"k": "v" * 64}}, SMALL
            ),
            "data is invalid: larger than 64 bytes",
        ),
        (
            lambda: webman_requests.parse_action(
                {
                    "taskId": "1" * 19,
                    "customId": "MJ::CustomZoom::x",
                    "prompt": LONG + " --zoom 2",
                },
                SMALL,
            ),
            "prompt is invalid: longer than 10 characters",
        ),
    ],
)
def test_webman_refuses_oversize_fields_with_code_500(
    parse: Callable[[], object], message: str
) -> None:
    status, body = webman.error_body(_refusal(parse))
    assert status == 200
    assert json.loads(body) == {
        "code": 500,
        "msg": message,
        "taskId": None,
        "data": [],
        "ban-words": "",
    }


def test_webman_prompt_limit_counts_the_collapsed_prompt() -> None:
    cmd = webman_requests.parse_imagine({"prompt": "a  " + " " * 50 + "cat"}, SMALL)
    assert cmd.prompt == "a cat"


def test_default_limits_take_a_discord_sized_prompt() -> None:
    assert discordxy_requests.parse_imagine({"prompt": "x" * 6000}).prompt == "x" * 6000
    with pytest.raises(CommandError):
        discordxy_requests.parse_imagine({"prompt": "x" * 6001})
    assert DEFAULT_LIMITS.prompt_chars == 6000


def test_body_too_large_in_each_envelope() -> None:
    err = CommandError(ErrorKind.TOO_LARGE, "request body is larger than 1048576 bytes")
    status, body = discordxy.error_body(err)
    assert (status, json.loads(body)["code"]) == (413, 413)
    status, body = novicezk.error_body(err)
    assert status == 413
    assert json.loads(body)["code"] == novicezk.CODE_VALIDATION
    assert json.loads(body)["description"] == (
        "请求体过大 (request body is larger than 1048576 bytes)"
    )
    status, body = webman.error_body(err)
    assert status == 200
    assert json.loads(body)["msg"] == "request body is larger than 1048576 bytes"
