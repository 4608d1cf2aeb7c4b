"""The browser identity a user-token client presents (IDENTIFY `properties`, REST headers).

Values follow spec §1.3 / fixtures/identify.json. Discord does not validate them, but a
consistent fingerprint across gateway and REST is what real clients send.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
DEFAULT_CAPABILITIES = 16381


@dataclass(frozen=True, kw_only=True)
class ClientProperties:
    user_agent: str = DEFAULT_USER_AGENT
    browser_version: str = "120.0.0.0"
    os: str = "Windows"
    os_version: str = "10"
    system_locale: str = "en-US"
    client_build_number: int = 222963
    release_channel: str = "stable"

    def as_dict(self) -> dict[str, Any]:
        return {
            "os": self.os,
            "browser": "Chrome",
            "device": "",
            "system_locale": self.system_locale,
            "browser_user_agent": self.user_agent,
            "browser_version": self.browser_version,
            "os_version": self.os_version,
            "referrer": "https://www.midjourney.com",
            "referring_domain": "www.midjourney.com",
            "referrer_current": "",
            "referring_domain_current": "",
            "release_channel": self.release_channel,
            "client_build_number": self.client_build_number,
            "client_event_source": None,
        }

    def super_properties(self) -> str:
        """`X-Super-Properties`: base64 of the same object IDENTIFY sends (spec §2)."""
        raw = json.dumps(self.as_dict(), separators=(",", ":")).encode()
        return base64.b64encode(raw).decode("ascii")

    def rest_headers(self) -> dict[str, str]:
        """Browser-like headers for every REST call (the Authorization header is added apart)."""
        return {
            "User-Agent": self.user_agent,
            "X-Super-Properties": self.super_properties(),
            "X-Discord-Locale": self.system_locale,
            "Accept-Language": f"{self.system_locale},en;q=0.9",
            "Origin": "https://discord.com",
        }
