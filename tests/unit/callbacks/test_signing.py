from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from app.callbacks.signing import Signer


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
