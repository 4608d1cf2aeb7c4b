"""The wake-up note of a pending task: which accounts could lease it (docs/worker.md).

The task store sends it as the payload of `NOTIFY mjrelay_tasks` whenever a task becomes
PENDING; the worker's supervisor reads it to wake only a runner that can use it. It carries the
task's static placement — its bot, the one account it is pinned or filtered to, its API key's
accounts — never its mode or the account choice: the lease's SQL decides those, and a runner
that claims nothing passes the wake-up on. A payload that is not a note (empty, garbled, from an
older version) means "anyone".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_MAX_ACCOUNTS = 200  # a NOTIFY payload stays far below PostgreSQL's 8,000 bytes


@dataclass(frozen=True)
class WakeNote:
    bot: str | None = None  # None: any bot
    account: str | None = None  # pinned (a follow-up) or accountFilter.instanceId
    accounts: frozenset[str] | None = None  # the client key's accounts

    def admits(self, account_id: str, bots: frozenset[str]) -> bool:
        """Could an account with these bots lease the task (modes aside)?"""
        if self.bot is not None and self.bot not in bots:
            return False
        if self.account is not None and self.account != account_id:
            return False
        return self.accounts is None or account_id in self.accounts


ANYONE = WakeNote()


def wake_note(bot: str, account: str | None, accounts: list[str] | None) -> str:
    """The payload for a task of `bot`, pinned/filtered to `account`, for a key's `accounts`."""
    note: dict[str, Any] = {"b": bot}
    if account is not None:
        note["a"] = account
    if accounts is not None and len(accounts) <= _MAX_ACCOUNTS:
        note["k"] = list(accounts)
    return json.dumps(note, separators=(",", ":"))


def read_wake_note(payload: str) -> WakeNote:
    try:
        note = json.loads(payload)
    except ValueError:
        return ANYONE
    if not isinstance(note, dict):
        return ANYONE
    bot, account, accounts = note.get("b"), note.get("a"), note.get("k")
    return WakeNote(
        bot=bot if isinstance(bot, str) else None,
        account=account if isinstance(account, str) else None,
        accounts=(
            frozenset(a for a in accounts if isinstance(a, str))
            if isinstance(accounts, list)
            else None
        ),
    )
