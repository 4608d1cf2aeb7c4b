"""Applying faults: arming them for later, or changing an account and its connections now.

The body of `POST /_sandbox/faults` and `Sandbox.inject_fault` lands in `inject`; bots reach
`apply` through their context (`--sandbox-fault ban` in a prompt). The catalogue is faults.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from app.sandbox.accounts import AccountDirectory, AccountState
from app.sandbox.context import BotContext
from app.sandbox.faults import ACCOUNT_KINDS, ARMED_KINDS, FaultError, Faults
from app.sandbox.gateway import Gateway
from app.sandbox.impostor import post_impostor_message
from app.sandbox.store import Uploads

Json = dict[str, Any]
# account fault -> (AccountState attribute, value) for the ones that only flip a flag
FLAG_FAULTS: dict[str, tuple[str, bool]] = {
    "unban": ("banned", False),
    "captcha": ("captcha", True),
    **{name: (name, True) for name in ("pending_mod", "blocked", "credits_exhausted")},
}


@dataclass(eq=False)
class FaultControl:
    directory: AccountDirectory
    faults: Faults
    gateway: Gateway
    uploads: Uploads
    context: BotContext  # the impostor posts, `reconnect` closes later

    def inject(self, spec: Json) -> Json:
        """Apply or arm a fault from `{"kind", "account"?, ...params}`; FaultError if bad."""
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in {**ARMED_KINDS, **ACCOUNT_KINDS}:
            raise FaultError(f"unknown fault kind {kind!r}")
        ref = spec.get("account")
        state = self.directory.find(ref) if ref is not None else None
        params = {k: v for k, v in spec.items() if k not in ("kind", "account")}
        if kind in ARMED_KINDS:
            count = int(params.pop("count", 1))
            user_id = state.account.user_id if state else None
            fault = self.faults.arm(kind, user_id, count, **params)
            return {"kind": kind, "armed": fault.count, "account": state and state.account.name}
        targets = [state] if state else list(self.directory.states.values())
        affected = sum(self.apply(kind, target, params) for target in targets)
        return {"kind": kind, "applied": len(targets), "connections": affected}

    def apply(self, kind: str, state: AccountState, params: Json) -> int:
        """One account fault now; returns how many gateway connections it touched."""
        user_id = state.account.user_id
        gateway = self.gateway
        if kind == "disconnect":
            return gateway.close_user(user_id, int(params.get("code", 4000)), "sandbox fault")
        if kind == "reconnect":
            sent = gateway.send_op(user_id, 7, None)
            self.context.spawn(self._close_later(user_id, float(params.get("grace", 1.0))))
            return sent
        if kind == "invalid_session":
            resumable = bool(params.get("resumable", False))
            if not resumable:
                gateway.invalidate_user(user_id)
            return gateway.send_op(user_id, 9, resumable)
        if kind == "heartbeat_request":
            return gateway.send_op(user_id, 1, None)
        if kind == "ban":
            state.banned = True
            gateway.invalidate_user(user_id)
            return gateway.close_user(user_id, 4004, "Authentication failed.")
        if kind == "clear":
            self.faults.clear(user_id)
            state.banned = state.captcha = state.pending_mod = False
            state.blocked = state.credits_exhausted = False
            return 0
        if kind == "fast_time":
            state.usage.set_fast_left(_minutes(params))
            return 0
        if kind == "expire_uploads":
            self.uploads.expire_all()
            return 0
        if kind == "impostor":
            post_impostor_message(self.context, state, params)
            return 0
        attribute, value = FLAG_FAULTS[kind]
        setattr(state, attribute, value)
        return 0

    async def _close_later(self, user_id: str, grace: float) -> None:
        await asyncio.sleep(grace)
        self.gateway.close_user(user_id, 4000, "Reconnect requested.")


def _minutes(params: Json) -> float:
    try:
        return float(params.get("minutes", 0))
    except (TypeError, ValueError):
        raise FaultError("fast_time needs a number of `minutes`") from None
