"""Public Discord/Midjourney constants (spec "Key constants")."""

from __future__ import annotations

MJ_APPLICATION_ID = "936929561302675456"
DEFAULT_API_BASE = "https://discord.com/api/v9"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg"
GATEWAY_VERSION = 9
DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01T00:00:00Z
EPHEMERAL_FLAG = 64
