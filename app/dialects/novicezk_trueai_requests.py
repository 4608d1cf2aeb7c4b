"""trueai's request fields in the novicezk dialect (spec v2 §7), pure: the `accountFilter` of a
submit, and the body of the admin route that sets an account's mode and remix.
"""

from __future__ import annotations

from typing import Any

from app.dialects.fields import invalid, json_object
from app.domain.account_filter import MAX_INSTANCE_ID_CHARS, MAX_REMARK_CHARS, AccountFilter
from app.domain.commands import ChangeAccount
from app.domain.errors import CommandError
from app.domain.speed import SPEED_MODES, normalize_mode

_MODE_NAMES = ", ".join(m.upper() for m in SPEED_MODES)


def _filter_error(why: str) -> CommandError:
    return invalid(f"accountFilter参数错误: {why}")


def _filter_text(raw: dict[str, Any], name: str, max_chars: int) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_chars:
        raise _filter_error(f"{name} must be text of at most {max_chars} characters")
    return value


def _filter_flag(raw: dict[str, Any], name: str) -> bool | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, bool):
        raise _filter_error(f"{name} must be true, false or null")
    return value


def _filter_modes(raw: dict[str, Any]) -> tuple[str, ...]:
    values = raw.get("modes")
    if values is None:
        return ()
    if not isinstance(values, list) or len(values) > len(SPEED_MODES):
        raise _filter_error(f"modes must be a list of at most {len(SPEED_MODES)} of {_MODE_NAMES}")
    modes = [normalize_mode(value) for value in values]
    if None in modes:
        raise _filter_error(f"modes must be among {_MODE_NAMES}")
    return tuple(dict.fromkeys(m for m in modes if m))


def parse_account_filter(value: Any) -> AccountFilter | None:
    """trueai's `accountFilter {instanceId, modes, remix, nijiRemix, remixAutoConsidered,
    remark}` (NZ+ calls the account `channelId`). Other keys are read past. null -> None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _filter_error("must be an object")
    instance = _filter_text(value, "instanceId", MAX_INSTANCE_ID_CHARS)
    channel = _filter_text(value, "channelId", MAX_INSTANCE_ID_CHARS)
    return AccountFilter(
        instance_id=instance or channel,
        modes=_filter_modes(value),
        remix=_filter_flag(value, "remix"),
        niji_remix=_filter_flag(value, "nijiRemix"),
        remix_auto_considered=_filter_flag(value, "remixAutoConsidered"),
        remark=_filter_text(value, "remark", MAX_REMARK_CHARS),
    )


def _flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(f"{name}参数错误: true, false or null")
    return value


def parse_account_change(account_id: str, body: Any) -> ChangeAccount:
    """An account's wished settings: `mode` FAST|RELAX|TURBO, `remix` (Midjourney's Remix mode),
    `remixAutoSubmit` (submit remix modals with the task's prompt); at least one of them."""
    body = json_object(body, "请求体必须是 JSON 对象 (request body must be a JSON object)")
    mode = body.get("mode")
    if mode is not None and normalize_mode(mode) is None:
        raise invalid(f"mode参数错误: one of {_MODE_NAMES}")
    change = ChangeAccount(
        account_id=account_id,
        mode=normalize_mode(mode),
        remix=_flag(body, "remix"),
        remix_auto=_flag(body, "remixAutoSubmit"),
    )
    if change.mode is None and change.remix is None and change.remix_auto is None:
        raise invalid("mode, remix or remixAutoSubmit is required")
    return change
