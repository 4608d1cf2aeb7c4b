"""Where and how a new task runs: its requested speed mode and account filter (the task columns
of docs/accounts.md), from the route prefix, trueai's `accountFilter` and the prompt."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain import remix
from app.domain.account_filter import AccountFilter, placement
from app.domain.actions import Bot
from app.domain.commands import CreateTask, PressButton
from app.domain.errors import CommandError, ErrorKind
from app.domain.task import Task
from db import api_accounts
from db.tasks import storable


async def filtered_account(
    engine: AsyncEngine, bot: str, wanted: AccountFilter | None
) -> str | None:
    """The account an `accountFilter` names (`instanceId`, `remark`), else None (any account).
    Several accounts matching a remark: the least busy now."""
    if wanted is None or (wanted.instance_id is None and wanted.remark is None):
        return None
    if not storable(wanted.instance_id or "") or not storable(wanted.remark or ""):
        raise CommandError(
            ErrorKind.INVALID, "accountFilter holds characters that cannot be stored"
        )
    async with engine.connect() as conn:
        found = await api_accounts.choose_filtered_account(
            conn, bot, wanted.instance_id, wanted.remark
        )
    if found is None:
        named = wanted.instance_id or f"whose name contains {wanted.remark!r}"
        raise CommandError(ErrorKind.ACCOUNT_NOT_FOUND, f"no enabled account {named}")
    return found


async def create_placement(engine: AsyncEngine, cmd: CreateTask) -> dict[str, Any]:
    """Speed modes are Midjourney's: a Pika prompt's `--fast` is Pika's text, not a request."""
    prompt = cmd.prompt if cmd.bot in (Bot.MJ, Bot.NIJI) else ""
    where = placement(cmd.extra.route_mode, cmd.extra.account_filter, prompt)
    where["filter_account_id"] = await filtered_account(
        engine, str(cmd.bot), cmd.extra.account_filter
    )
    return where


def press_placement(cmd: PressButton, parent: Task) -> dict[str, Any]:
    """A follow-up runs on its parent's account: of a filter only the modes and the remix choice
    count, and one asking no mode runs in the mode its parent asked. Remix modals of Discordxy
    and webman presses are always submitted with the task's prompt."""
    where = placement(cmd.extra.route_mode, cmd.extra.account_filter, cmd.prompt or "")
    where["filter_account_id"] = None
    if not where["request_mode"] and not where["filter_modes"]:
        where["request_mode"] = parent.request_mode
    if cmd.dialect != "novicezk":  # only novicezk clients can fill in a modal: submit it for them
        where["remix_auto"] = True
    return where


async def remix_waits_for_client(
    engine: AsyncEngine, parent: Task, action: str, where: dict
) -> bool:
    """Will the parent's account open a remix modal for this press that the client must fill
    in (code 21)? Decided on the Remix state of the parent's bot as last read from its
    /settings (niji・journey keeps its own)."""
    if action not in remix.REMIX_ACTIONS or parent.account_id is None:
        return False
    async with engine.connect() as conn:
        account = await api_accounts.get_public_account(conn, parent.account_id)
    if account is None:
        return False
    return remix.waits_for_client(
        action,
        remix_on=account["niji_remix" if parent.bot == Bot.NIJI else "remix"],
        account_auto=account["remix_auto"],
        task_auto=where["remix_auto"],
    )
