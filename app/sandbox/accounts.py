"""Sandbox accounts: deterministic fake identities (tokens are valid only in the sandbox)."""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.slots import Slots
from app.sandbox.snowflake import make_snowflake

# Ids are minted at a fixed moment so a seed always gives the same accounts (and a worker's
# stored tokens keep working across sandbox restarts).
_ID_EPOCH_MS = 1_714_521_600_000  # 2024-05-01


@dataclass(frozen=True)
class SandboxAccount:
    name: str
    token: str
    user_id: str
    guild_id: str
    channel_id: str
    username: str
    global_name: str

    def user(self) -> dict[str, Any]:
        """The public user object as messages embed it."""
        return {
            "id": self.user_id,
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
        }

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "token": self.token,
            "user_id": self.user_id,
            "username": self.username,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
        }


@dataclass
class AccountState:
    """What the simulated bot knows about one account (mode, moderation, running jobs)."""

    account: SandboxAccount
    slots: Slots
    mode: str = "fast"  # fast | relax | turbo
    banned: bool = False  # token revoked: REST 401, gateway 4004
    captcha: bool = False
    pending_mod: bool = False
    blocked: bool = False
    credits_exhausted: bool = False
    remix: bool = False
    strikes: int = 0
    moderation_tokens: set[str] = field(default_factory=set)


def make_accounts(count: int, seed: int) -> list[SandboxAccount]:
    rng = random.Random(f"mjrelay-sandbox-accounts/{seed}")
    guild_id = make_snowflake(_ID_EPOCH_MS, worker=2, increment=seed % 4096)
    accounts = []
    for number in range(1, count + 1):
        user_id = make_snowflake(_ID_EPOCH_MS + number, worker=3, increment=seed % 4096)
        channel_id = make_snowflake(_ID_EPOCH_MS + number, worker=4, increment=seed % 4096)
        accounts.append(
            SandboxAccount(
                name=f"sandbox-{number}",
                token=_fake_token(user_id, rng),
                user_id=user_id,
                guild_id=guild_id,
                channel_id=channel_id,
                username=f"sandbox{number}",
                global_name=f"Sandbox User {number}",
            )
        )
    return accounts


def _fake_token(user_id: str, rng: random.Random) -> str:
    """Shaped like a user token (`b64(user id).stamp.hmac`) so token-format checks pass."""
    alphabet = string.ascii_letters + string.digits + "-_"
    head = base64.b64encode(user_id.encode()).decode().rstrip("=")
    stamp = "".join(rng.choice(alphabet) for _ in range(6))
    tail = "".join(rng.choice(alphabet) for _ in range(38))
    return f"{head}.{stamp}.{tail}"
