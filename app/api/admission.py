"""Which accounts a new task's queue-full check looks at (docs/keys.md, "Accounts per key")."""

from __future__ import annotations

from app.api.callers import Caller
from app.domain.errors import CommandError, ErrorKind


def admission_accounts(caller: Caller, account_id: str | None) -> list[str] | None:
    """The accounts a task may run on: the one it is pinned or filtered to (`account_id`), its
    API key's accounts, both (then the one, which must be among the key's), or None for all.

    A task whose account is not among its key's could never be leased: refused at once.
    """
    key = caller.key
    allowed = list(key.accounts) if key is not None and key.accounts else None
    if account_id is None:
        return allowed
    if key is not None and allowed is not None and account_id not in allowed:
        raise CommandError(
            ErrorKind.ACCOUNT_NOT_FOUND,
            f"account {account_id} is not one of the accounts of API key {key.name}",
        )
    return [account_id]
