"""Public Discord/Midjourney constants (spec "Key constants")."""

from __future__ import annotations

MJ_APPLICATION_ID = "936929561302675456"
NIJI_APPLICATION_ID = "1022952195194359889"
# Pika's real application id is not known from any source (spec §5; its Discord bot has since
# been retired): this is the one the sandbox's Pika uses. Set MJRELAY_DISCORD_BOT_IDS for another.
PIKA_APPLICATION_ID = "1123437775926251530"
# Whose messages are believed: a bot's message `author.id` is its application id (spec v2 §1).
# Anyone else in the channel (users, other bots, webhooks) could otherwise fake results or errors.
TRUSTED_BOT_IDS = (MJ_APPLICATION_ID, NIJI_APPLICATION_ID, PIKA_APPLICATION_ID)
DEFAULT_API_BASE = "https://discord.com/api/v9"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg"
GATEWAY_VERSION = 9
DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01T00:00:00Z
EPHEMERAL_FLAG = 64
