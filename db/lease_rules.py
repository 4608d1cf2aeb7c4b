"""SQL fragments of the lease's account rules (docs/accounts.md): speed modes, account filter,
working hours, and which account a task should rather go to (the account choice).

Each function renders a predicate for table aliases, so the same rule is written once and used
for the claiming account (`me`) and for the others it defers to (`b`). `app/domain/speed.py` holds
the same mode rules in Python; tests/integration/worker/test_lease_modes.py checks them together.
"""

from __future__ import annotations

from app.domain.speed import ACCOUNT_CHOICES
from db.statuses import ACTIVE

__all__ = ["ACCOUNT_CHOICES"]
_PAID = "('fast', 'turbo')"


def default_mode(a: str) -> str:
    """The mode a task that asks none runs in on account `a`: its default, relax when out of
    fast time."""
    return f"(CASE WHEN {a}.fast_exhausted AND {a}.mode <> 'relax' THEN 'relax' ELSE {a}.mode END)"


def accepts(t: str, a: str, mode: str) -> str:
    """Task `t` may run in `mode` (an SQL expression) on account `a`."""
    return (
        f"(CASE WHEN {t}.request_mode IS NOT NULL THEN {mode} = {t}.request_mode"
        f" WHEN {t}.filter_modes IS NOT NULL THEN {mode} = ANY({t}.filter_modes)"
        f" ELSE {mode} = {default_mode(a)} END)"
    )


def bot_mode(t: str, a: str, mj: str = "", niji: str = "") -> str:
    """The mode account `a` is in for task `t`'s bot: niji・journey keeps its own (spec v2 §6).
    `mj` / `niji`: the runner's mode for that bot (a switch under way), SQL expressions."""
    mine = ", ".join(p for p in (mj, f"{a}.job_mode", f"{a}.mode") if p)
    nijis = ", ".join(p for p in (niji, f"{a}.niji_job_mode", f"{a}.mode") if p)
    return f"(CASE WHEN {t}.bot = 'niji' THEN coalesce({nijis}) ELSE coalesce({mine}) END)"


def can_run(a: str, mode: str) -> str:
    return f"({mode} = 'relax' OR NOT {a}.fast_exhausted)"


def only_paid(t: str) -> str:
    """The task accepts fast/turbo only (it asked for them)."""
    return (
        f"(coalesce({t}.request_mode IN {_PAID}, false)"
        f" OR ({t}.request_mode IS NULL AND {t}.filter_modes IS NOT NULL"
        f" AND NOT 'relax' = ANY({t}.filter_modes)))"
    )


def live(a: str) -> str:
    """Account `a` is held by a worker, in service and inside its working hours."""
    return (
        f"({a}.enabled AND {a}.health = 'ok' AND {a}.owner IS NOT NULL"
        f" AND {a}.lease_expires_at > now() AND {in_hours(a)})"
    )


def in_hours(a: str) -> str:
    """Inside `working_hours` (`HH:MM-HH:MM` UTC, may wrap midnight; NULL: always)."""
    start = f"split_part({a}.working_hours, '-', 1)::time"
    end = f"split_part({a}.working_hours, '-', 2)::time"  # '24:00' is a valid time in SQL
    now = "(now() AT TIME ZONE 'UTC')::time"
    return (
        f"({a}.working_hours IS NULL OR CASE WHEN {start} < {end}"
        f" THEN {now} >= {start} AND {now} < {end}"
        f" ELSE {now} >= {start} OR {now} < {end} END)"
    )


def active(a: str) -> str:
    return f"(SELECT count(*) FROM tasks x WHERE x.account_id = {a}.id AND x.status IN ({ACTIVE}))"


def takes(t: str, a: str) -> str:
    """The account filter of task `t` (and its API key's accounts) lets account `a` take it
    (besides the mode)."""
    return (
        f"({a}.bots @> ARRAY[{t}.bot]"
        f" AND ({t}.key_accounts IS NULL OR {a}.id = ANY({t}.key_accounts))"
        f" AND ({t}.filter_account_id IS NULL OR {t}.filter_account_id = {a}.id)"
        f" AND ({t}.filter_remix IS NULL"
        f" OR {t}.filter_remix = (coalesce({a}.remix, false) AND NOT {a}.remix_auto))"
        f" AND ({t}.filter_niji_remix IS NULL"
        f" OR {t}.filter_niji_remix = (coalesce({a}.niji_remix, false) AND NOT {a}.remix_auto)))"
    )


def fits_now(t: str, a: str) -> str:
    """Account `a` can take task `t` without switching its mode."""
    mode = bot_mode(t, a)
    return f"({takes(t, a)} AND {accepts(t, a, mode)} AND {can_run(a, mode)})"


def better(b: str, me: str, choice: str, me_active: str) -> str:
    """Account `b` should get a task before `me` under the account choice."""
    if choice == "fill-first":
        return f"({b}.id < {me}.id)"
    if choice == "round-robin":
        never = "'-infinity'::timestamptz"
        return (
            f"((coalesce({b}.last_leased_at, {never}), {b}.id)"
            f" < (coalesce({me}.last_leased_at, {never}), {me}.id))"
        )
    if choice == "weighted":
        return f"({active(b)} * {me}.weight < {me_active} * {b}.weight)"
    return f"({active(b)} < {me_active})"


def deferred(t: str, me: str, choice: str, me_active: str, *, switching: bool) -> str:
    """Another live account with a free slot should take `t`: one that fits it now and comes
    first by the choice (or, when `me` would have to switch modes, any that fits it now)."""
    rank = "true" if switching else better("b", me, choice, me_active)
    return (
        f"EXISTS (SELECT 1 FROM accounts b WHERE b.id <> {me}.id AND {live('b')}"
        f" AND {active('b')} < b.concurrency AND {fits_now(t, 'b')} AND {rank})"
    )


def no_fast_account(t: str, me: str) -> str:
    """No live account with fast time left could take `t` (the relax fallback's condition)."""
    return (
        f"NOT EXISTS (SELECT 1 FROM accounts f WHERE f.id <> {me}.id AND {live('f')}"
        f" AND NOT f.fast_exhausted AND {takes(t, 'f')})"
    )
