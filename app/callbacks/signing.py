"""Standard Webhooks headers: `webhook-id`, `webhook-timestamp` and `webhook-signature`.

The signature is the `standardwebhooks` package's own (`v1,` + base64 HMAC-SHA256 of
`{id}.{timestamp}.{body}`), so receivers verify with any Standard Webhooks or Svix library. With
several secrets configured (key rotation) the header carries one signature per secret, separated
by spaces; a receiver holding either the old or the new secret accepts the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook


class Signer:
    """Signs callback bodies with every configured secret."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self._webhooks = [Webhook(secret) for secret in secrets]

    @property
    def enabled(self) -> bool:
        return bool(self._webhooks)

    def headers(self, webhook_id: str, payload: bytes, at: datetime) -> dict[str, str]:
        """The Standard Webhooks headers for `payload` sent at `at` (timezone-aware)."""
        at = at.astimezone(UTC)
        headers = {"webhook-id": webhook_id, "webhook-timestamp": str(int(at.timestamp()))}
        if self._webhooks:
            body = payload.decode("utf-8")
            headers["webhook-signature"] = " ".join(
                webhook.sign(msg_id=webhook_id, timestamp=at, data=body)
                for webhook in self._webhooks
            )
        return headers
