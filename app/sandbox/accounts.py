"""Sandbox accounts: deterministic fake identities (tokens are valid only in the sandbox)."""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.faults import FaultError
from app.sandbox.messages import MJ_APPLICATION_ID
from app.sandbox.mj_profile import Profile, Usage
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
class BotPrefs:
    """One bot's settings for one account: Midjourney and niji keep their own (spec v2 §6)."""

    mode: str = "fast"  # fast | relax | turbo
    remix: bool = False
    profile: Profile = field(default_factory=Profile)  # /settings, /prefer (usage is shared)


@dataclass
class AccountState:
    """What the simulated bots know about one account (settings, moderation, running jobs)."""

    account: SandboxAccount
    slots: Slots
    banned: bool = False  # token revoked: REST 401, gateway 4004
    captcha: bool = False
    pending_mod: bool = False
    blocked: bool = False
    credits_exhausted: bool = False
    strikes: int = 0
    moderation_tokens: set[str] = field(default_factory=set)
    usage: Usage = field(default_factory=Usage)  # one subscription's GPU time for both bots
    bot_prefs: dict[str, BotPrefs] = field(default_factory=dict)  # by application id

    def prefs(self, application_id: str = MJ_APPLICATION_ID) -> BotPrefs:
        """That bot's settings for this account (created at their defaults on first use)."""
        found = self.bot_prefs.get(application_id)
        if found is None:
            found = self.bot_prefs[application_id] = BotPrefs(profile=Profile(usage=self.usage))
        return found

    # Midjourney's settings, as the account's own (what tests and faults read).
    @property
    def mode(self) -> str:
        return self.prefs().mode

    @mode.setter
    def mode(self, value: str) -> None:
        self.prefs().mode = value

    @property
    def remix(self) -> bool:
        return self.prefs().remix

    @remix.setter
    def remix(self, value: bool) -> None:
        self.prefs().remix = value

    @property
    def profile(self) -> Profile:
        return self.prefs().profile

    @property
    def out_of_fast_time(self) -> bool:
        """Fast (and turbo) jobs fail with "Credits exhausted"; relax ones still run."""
        return self.credits_exhausted or self.usage.fast_exhausted


class AccountDirectory:
    """The accounts and their live state, looked up by token, channel, guild or any name."""

    def __init__(self, accounts: list[SandboxAccount], concurrency: int, queue_size: int) -> None:
        self.accounts = accounts
        self.states = {
            account.user_id: AccountState(account, Slots(concurrency, queue_size))
            for account in accounts
        }
        self._by_token = {state.account.token: state for state in self.states.values()}

    def authenticate(self, token: str) -> AccountState | None:
        return self._by_token.get(token.strip())

    def channel_guild(self, channel_id: str) -> str | None:
        for account in self.accounts:
            if account.channel_id == channel_id:
                return account.guild_id
        return None

    def guild_user_ids(self, guild_id: str) -> list[str]:
        """Everyone in the guild sees its channels' messages, as on Discord (clients filter)."""
        return [a.user_id for a in self.accounts if a.guild_id == guild_id]

    def find(self, ref: Any) -> AccountState:
        """An account by 0-based index, name, user id or token."""
        if isinstance(ref, int) and 0 <= ref < len(self.accounts):
            return self.states[self.accounts[ref].user_id]
        for state in self.states.values():
            account = state.account
            if str(ref) in (account.name, account.user_id, account.token, account.username):
                return state
        raise FaultError(f"unknown account {ref!r}")


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
