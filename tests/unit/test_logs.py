from __future__ import annotations

import io
import json
import logging

import pytest

from app.logs import JsonFormatter, RedactingFilter, register_secret

FAKE_DISCORD_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.redaction")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel("DEBUG")
    return logger, stream


def test_registered_secret_never_reaches_the_line(captured) -> None:
    logger, stream = captured
    register_secret("s3cret-api-key-value")
    logger.info("using key %s", "s3cret-api-key-value", extra={"key": "s3cret-api-key-value"})
    line = stream.getvalue()
    assert "s3cret-api-key-value" not in line
    entry = json.loads(line)
    assert entry["key"] == "***"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(FAKE_DISCORD_TOKEN, id="discord-token"),
        pytest.param("Authorization: " + "Bot-abcdef123456", id="authorization-header"),
        pytest.param("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id="webhook-secret"),
        pytest.param('{"mj-api-secret": "letmein-please"}', id="api-secret-header"),
        pytest.param("key mjr_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id="client-api-key"),
    ],
)
def test_secret_shapes_are_masked(captured, text: str) -> None:
    logger, stream = captured
    logger.warning("got %s", text)
    line = stream.getvalue()
    assert "***" in line
    for secret in ("abcdefghijklmnopqrstuvwxyz", "Bot-abcdef123456", "MfKQ9r8G", "letmein"):
        assert secret not in line


def test_exception_text_is_redacted(captured) -> None:
    logger, stream = captured
    register_secret("token-in-exception-xyz")
    try:
        raise RuntimeError("bad token token-in-exception-xyz")
    except RuntimeError:
        logger.exception("failed")
    line = stream.getvalue()
    assert "token-in-exception-xyz" not in line
    assert "RuntimeError" in line


def test_short_secrets_are_masked_too(captured) -> None:
    logger, stream = captured
    register_secret("k9Z")
    logger.info("client sent %s", "k9Z", extra={"presented": "k9Z"})
    line = stream.getvalue()
    assert "k9Z" not in line
    assert json.loads(line)["presented"] == "***"
