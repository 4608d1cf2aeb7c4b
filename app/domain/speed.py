"""Speed modes: which mode a task runs in on a given account, and which accounts may take it.

Pure rules shared by the API (what a request asks) and the worker (where and how it runs).
The SQL of the lease (db/leasing.py) holds the same eligibility rule; a unit test keeps the two
in step on examples.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FAST, RELAX, TURBO = "fast", "relax", "turbo"
SPEED_MODES = (FAST, RELAX, TURBO)
# Modes that spend fast time: an account out of fast time runs neither.
PAID_MODES = frozenset({FAST, TURBO})
# Which account takes a task when several could (MJRELAY_ACCOUNT_CHOICE, docs/accounts.md).
ACCOUNT_CHOICES = ("least-busy", "round-robin", "weighted", "fill-first")

_PROMPT_FLAG = re.compile(r"(?<!\S)--(fast|relax|turbo)(?!\S)", re.IGNORECASE)


def normalize_mode(value: object) -> str | None:
    """`FAST`, `fast`, ` Relax ` → the mode; anything else → None."""
    if not isinstance(value, str):
        return None
    mode = value.strip().lower()
    return mode if mode in SPEED_MODES else None


def normalize_modes(values: Iterable[object] | None) -> list[str] | None:
    """A client's list of modes, lower-cased, unknown and repeated ones dropped; empty → None."""
    if values is None:
        return None
    modes = list(dict.fromkeys(m for m in map(normalize_mode, values) if m))
    return modes or None


def prompt_mode(prompt: str) -> str | None:
    """The last `--fast` / `--relax` / `--turbo` flag in a prompt (Midjourney obeys the last)."""
    found = _PROMPT_FLAG.findall(prompt or "")
    return found[-1].lower() if found else None


def with_mode_flag(prompt: str, mode: str) -> str:
    """A prompt whose `--fast`/`--relax`/`--turbo` flags say `mode` (Midjourney obeys the flag
    over the account's mode); a prompt without one is left as it is."""
    if prompt_mode(prompt) is None:
        return prompt
    return _PROMPT_FLAG.sub(f"--{mode}", prompt)


@dataclass(frozen=True)
class ModeRequest:
    """What a task asks of its account (the task columns of the same names)."""

    request_mode: str | None = None
    filter_modes: Sequence[str] | None = None
    filter_account_id: str | None = None
    filter_remix: bool | None = None

    def acceptable(self) -> list[str] | None:
        """Modes the task may run in, in order of preference; None: any."""
        if self.request_mode:
            return [self.request_mode]
        return list(self.filter_modes) if self.filter_modes else None


@dataclass(frozen=True)
class AccountModes:
    """What the worker knows of an account's speed: its default, current mode, fast time."""

    default_mode: str = FAST
    job_mode: str | None = None
    fast_exhausted: bool = False

    def can_run(self, mode: str) -> bool:
        return not (self.fast_exhausted and mode in PAID_MODES)


def run_mode(request: ModeRequest, account: AccountModes, *, fallback_relax: bool) -> str | None:
    """The mode this account runs the task in, or None when it cannot run it.

    Prefers the account's current mode when acceptable (no switch), then the first acceptable
    mode it can run. A task that asks nothing runs in the account's default mode (relax when out
    of fast time). With `fallback_relax`, a fast/turbo-only task runs in relax on an account out
    of fast time (the worker notes it in the task's events).
    """
    acceptable = request.acceptable()
    if acceptable is None:
        preferred = account.default_mode
        return preferred if account.can_run(preferred) else RELAX
    if account.job_mode in acceptable and account.can_run(account.job_mode):
        return account.job_mode
    for mode in acceptable:
        if account.can_run(mode):
            return mode
    return RELAX if fallback_relax else None


def remix_matches(wanted: bool | None, remix_on: bool | None, remix_auto: bool) -> bool:
    """trueai's `accountFilter.remix`: true wants an account that shows the remix modal to the
    client (remix on and not auto-submitting); false wants one whose buttons start jobs directly
    (remix off, or remix modals auto-submitted). Unknown remix state counts as off."""
    if wanted is None:
        return True
    shows_modal = bool(remix_on) and not remix_auto
    return shows_modal if wanted else not shows_modal
