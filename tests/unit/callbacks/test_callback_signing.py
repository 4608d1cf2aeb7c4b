from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from app.callbacks.signing import Signer, parse_secrets, validate_secret
from app.config import load_settings


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


PAYLOAD = '{"id":"1700000000000000","status":"SUCCESS","prompt":"a cat ☕"}'.encode()


def test_every_signature_verifies_with_standardwebhooks() -> None:
    secret = new_secret()
    signer = Signer([secret])
    for n in range(200):
        body = PAYLOAD + f" {n}".encode()
        headers = signer.headers(f"msg_{n}", body, datetime.now(UTC))
        assert Webhook(secret).verify(body, headers, json_parse=False) is None


def test_rotation_two_signatures_each_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    headers = Signer([new, old]).headers("msg_rot", PAYLOAD, datetime.now(UTC))
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(PAYLOAD, headers, json_parse=False) is None
    assert Webhook(new).verify(PAYLOAD, headers, json_parse=False) is None
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(PAYLOAD, headers, json_parse=False)


def test_tampered_body_or_id_fails_verification() -> None:
    secret = new_secret()
    headers = Signer([secret]).headers("msg_a", PAYLOAD, datetime.now(UTC))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(PAYLOAD + b" ", headers, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(PAYLOAD, {**headers, "webhook-id": "msg_b"}, json_parse=False)


def test_timestamp_header_is_the_attempt_time() -> None:
    at = datetime(2026, 5, 6, 7, 8, 9, 999000, tzinfo=UTC)
    headers = Signer([]).headers("msg_t", PAYLOAD, at)
    assert headers == {"webhook-id": "msg_t", "webhook-timestamp": str(int(at.timestamp()))}
    stale = datetime.now(UTC) - timedelta(minutes=10)
    secret = new_secret()
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(PAYLOAD, Signer([secret]).headers("m", PAYLOAD, stale))


def test_secret_validation() -> None:
    good = new_secret()
    assert validate_secret(f" {good} ") == good
    assert parse_secrets(f"{good}, {good}") == (good, good)
    for bad in ("nope", "whsec_", "whsec_!!!not-base64"):
        with pytest.raises(ValueError):
            validate_secret(bad)


def test_settings_carry_callback_options_and_secrets_are_redacted() -> None:
    one, two = new_secret(), new_secret()
    settings = load_settings(
        {
            "MJRELAY_WEBHOOK_SECRET": f"{one},{two}",
            "MJRELAY_CALLBACK_ALLOWLIST": "127.0.0.0/8",
            "MJRELAY_CALLBACK_TIMEOUT_S": "12",
            "MJRELAY_CALLBACK_SCHEDULE": "1s,1m",
            "MJRELAY_CALLBACK_CONCURRENCY": "4",
        }
    )
    assert settings.webhook_secrets == (one, two)
    assert {one, two} <= set(settings.secrets())
    assert settings.callback_allowlist == ("127.0.0.0/8",)
    assert settings.callback_timeout_s == 12.0
    assert settings.callback_schedule == (1.0, 60.0)
    assert settings.callback_concurrency == 4


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MJRELAY_CALLBACK_TIMEOUT_S", "4"),
        ("MJRELAY_CALLBACK_TIMEOUT_S", "31"),
        ("MJRELAY_CALLBACK_SCHEDULE", "soon"),
        ("MJRELAY_CALLBACK_CONCURRENCY", "0"),
        ("MJRELAY_CALLBACK_ALLOWLIST", "not a network!"),
        ("MJRELAY_WEBHOOK_SECRET", "hunter2"),
    ],
)
def test_settings_reject_bad_callback_values(variable: str, value: str) -> None:
    from app.errors import SettingsError

    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})
