"""The faults that apply to one interaction, for either bot: armed ones plus prompt flags.

`--sandbox-fault delay:2` in a prompt and `POST /_sandbox/faults {"kind": "delay"}` end up in the
same `Flags`; REST and gateway faults named in a prompt are armed, account faults applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.sandbox.context import BotContext
from app.sandbox.faults import ACCOUNT_KINDS, FaultError, flag_to_fault
from app.sandbox.interactions import Interaction
from app.sandbox.prompts import Prompt, parse_prompt

Json = dict[str, Any]
JOB_FAULTS = {"drop_final", "delay", "duplicate", "reorder", "stop", "disconnect_mid_job"}
INTERACTION_FAULTS = JOB_FAULTS | {"interaction_failure", "silent", "error"}
ARMED_BY_FLAG = {"rate_limit", "server_error", "withhold_ack", "resume_fail"}


@dataclass
class JobFaults:
    drop_final: bool = False
    delay: float = 0.0
    duplicate: bool = False
    reorder: bool = False
    stop: bool = False
    disconnect: int | None = None


@dataclass
class Flags:
    """Faults that apply to one interaction (armed ones taken + prompt flags)."""

    job: JobFaults = field(default_factory=JobFaults)
    failure: bool = False
    silent: bool = False
    error: str | None = None
    bad_flag: str | None = None


def prompt_of(it: Interaction) -> Prompt:
    """The prompt an interaction carries: a command's option or a modal's text inputs."""
    if it.type == 2:
        return parse_prompt(str(it.options().get("prompt") or ""))
    if it.type == 5:
        return parse_prompt(" ".join(it.text_inputs().values()))
    return parse_prompt("")


# The account controls (/settings and its buttons, /info, /fast …) start no job: an armed fault
# waits for the next interaction that does, so a client reading its settings does not use it up.
CONTROL_COMMANDS = frozenset({"settings", "info", "fast", "relax", "turbo", "prefer"})


def is_control(it: Interaction) -> bool:
    if it.type == 2:
        return it.command in CONTROL_COMMANDS
    return it.type == 3 and it.custom_id.startswith("MJ::Settings::")


def read_flags(ctx: BotContext, it: Interaction) -> Flags:
    """Take the armed faults aimed at this interaction and add its prompt's flags."""
    flags = Flags()
    taken = [] if is_control(it) else ctx.faults.take_all(INTERACTION_FAULTS, it.user_id)
    pairs = [(fault.kind, fault.params) for fault in taken]
    for name, arg in prompt_of(it).faults:
        try:
            pairs.append(flag_to_fault(name, arg))
        except FaultError as exc:
            flags.bad_flag = str(exc)
    for kind, params in pairs:
        _apply(ctx, flags, it, kind, params)
    return flags


def _apply(ctx: BotContext, flags: Flags, it: Interaction, kind: str, params: Json) -> None:
    job = flags.job
    if kind in ("drop_final", "duplicate", "reorder", "stop"):
        setattr(job, kind, True)
    elif kind == "delay":
        job.delay = float(params.get("seconds", 1.0))
    elif kind == "disconnect_mid_job":
        job.disconnect = int(params.get("code", 4000))
    elif kind == "interaction_failure":
        flags.failure = True
    elif kind == "silent":
        flags.silent = True
    elif kind == "error":
        flags.error = str(params.get("error"))
    elif kind in ARMED_BY_FLAG:
        ctx.faults.arm(kind, it.user_id, int(params.pop("count", 1)), **params)
    elif kind in ACCOUNT_KINDS:
        ctx.apply_account_fault(kind, it.state, params)
