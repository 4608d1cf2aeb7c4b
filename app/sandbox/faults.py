"""Fault injection: what `POST /_sandbox/faults` and `--sandbox-fault` prompt flags arm.

Armed faults wait for the next matching event of an account (or of any account) and are used
up `count` times; account faults (ban, captcha, ...) change the account at once. The catalogue
below is the single list both entry points validate against (docs/sandbox.md mirrors it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# kind -> what it does. "job" faults act on the next bot job of the account.
ARMED_KINDS = {
    "drop_final": "job: progress runs but the final message never comes",
    "delay": "job: hold `seconds` before the final message (keeps the slot busy)",
    "duplicate": "job: every gateway dispatch of the job is sent twice (new seq each)",
    "reorder": "job: progress updates arrive after the final message, DELETE before it",
    "interaction_failure": "job: INTERACTION_FAILURE (reason_code 2) instead of SUCCESS",
    "silent": "job: INTERACTION_SUCCESS, then the bot never answers",
    "stop": "job: progress stops with content (Stopped)",
    "disconnect_mid_job": "job: after the start message, close the gateway with `code`",
    "error": "job: the bot answers with error `error` (see BOT_ERRORS)",
    "rate_limit": "REST: next `count` requests get 429 with `retry_after` seconds",
    "server_error": "REST: next `count` requests get `status` (default 500)",
    "identify_invalid": "gateway: next IDENTIFY gets INVALID_SESSION d=false",
    "resume_fail": "gateway: next RESUME gets INVALID_SESSION d=false",
    "withhold_ack": "gateway: next `count` heartbeats get no ACK (zombie connection)",
}
ACCOUNT_KINDS = {
    "disconnect": "close the account's gateway connections with `code` (default 4000)",
    "reconnect": "send op 7 RECONNECT, close with 4000 after `grace` seconds unless closed",
    "invalid_session": "send op 9 with d=`resumable` (default false: session is dropped)",
    "heartbeat_request": "send op 1 asking for an immediate heartbeat",
    "ban": "revoke the token: REST 401, gateway closed and refused with 4004",
    "unban": "undo ban",
    "captcha": "the bot answers every interaction with the captcha iframe modal",
    "pending_mod": "the bot answers with 'Pending mod message' until Acknowledged",
    "blocked": "the bot answers with 'Blocked'",
    "credits_exhausted": "fast-mode jobs get 'Credits exhausted' (relax still works)",
    "fast_time": "set the account's fast time left to `minutes` (0: out of fast time)",
    "clear": "undo every account fault and disarm every fault of the account",
    "expire_uploads": "every pending upload_filename expires",
    "impostor": "a bot that only looks like Midjourney (or a webhook) posts in the channel",
}
BOT_ERRORS = {
    "banned_prompt", "invalid_parameter", "queue_full", "pending_mod", "action_needed",
    "credits_exhausted", "action_restricted", "blocked", "failed", "captcha", "invalid_link",
}  # fmt: skip
ALL_KINDS = {**ARMED_KINDS, **ACCOUNT_KINDS}
# Short forms accepted in prompts: `--sandbox-fault 429:3` == rate_limit count 3.
FLAG_ALIASES = {"429": "rate_limit", "5xx": "server_error", "disconnect": "disconnect_mid_job"}


class FaultError(ValueError):
    pass


@dataclass
class Fault:
    kind: str
    user_id: str | None  # None: the next event of any account
    count: int = 1
    params: dict[str, Any] = field(default_factory=dict)


class Faults:
    def __init__(self) -> None:
        self._armed: list[Fault] = []

    def arm(self, kind: str, user_id: str | None, count: int = 1, **params: Any) -> Fault:
        if kind not in ARMED_KINDS:
            raise FaultError(f"unknown fault kind {kind!r}")
        if kind == "error" and params.get("error") not in BOT_ERRORS:
            raise FaultError(f"error must be one of {sorted(BOT_ERRORS)}")
        fault = Fault(kind, user_id, max(1, int(count)), params)
        self._armed.append(fault)
        return fault

    def take(self, kind: str, user_id: str) -> Fault | None:
        """Use up one count of the oldest matching armed fault."""
        for fault in self._armed:
            if fault.kind == kind and fault.user_id in (None, user_id):
                fault.count -= 1
                if fault.count <= 0:
                    self._armed.remove(fault)
                return fault
        return None

    def take_all(self, kinds: set[str], user_id: str) -> list[Fault]:
        return [fault for kind in sorted(kinds) if (fault := self.take(kind, user_id))]

    def clear(self, user_id: str | None = None) -> None:
        self._armed = [f for f in self._armed if user_id is not None and f.user_id != user_id]

    def armed(self) -> list[Fault]:
        return list(self._armed)


def flag_to_fault(name: str, arg: str) -> tuple[str, dict[str, Any]]:
    """Map a prompt flag (`delay:2.5`, `429:3`, `error:queue_full`) to (kind, params)."""
    kind = FLAG_ALIASES.get(name, name)
    if kind not in ALL_KINDS:
        raise FaultError(f"unknown sandbox fault {name!r}")
    params: dict[str, Any] = {}
    if not arg:
        return kind, params
    try:
        if kind == "delay":
            params["seconds"] = float(arg)
        elif kind in ("disconnect_mid_job", "disconnect"):
            params["code"] = int(arg)
        elif kind in ("rate_limit", "server_error", "withhold_ack"):
            params["count"] = int(arg)
        elif kind == "error":
            params["error"] = arg
        elif kind == "fast_time":
            params["minutes"] = float(arg)
        elif kind == "invalid_session":
            params["resumable"] = arg.lower() in ("1", "true", "resumable")
    except ValueError:
        raise FaultError(f"bad argument {arg!r} for sandbox fault {name!r}") from None
    return kind, params
