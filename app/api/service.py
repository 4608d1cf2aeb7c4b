"""The use-cases every dialect shares: commands in, stored tasks out.

Each use-case validates everything (banned words, images, parent task, button) before it writes,
and writes through `app.taskstore` in one transaction, so a refused request leaves no row.
`TaskService` extends `TaskReader` (app/api/task_reads.py), through which every dialect reads
tasks, so what a client may read (`visible`) is decided in one place: a service is handed the
request's caller (`for_caller`); a client key reads and acts on its own tasks only, and its
limits are counted in the transaction that writes its task (docs/keys.md).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.api import keyed
from app.api.admission import admission_accounts
from app.api.checks import BannedWordSource, ensure_storable, ensure_task_storable
from app.api.images import ImageFetcher
from app.api.keyed import Idempotency
from app.api.placement import create_placement, press_placement, remix_waits_for_client
from app.api.press import default_prompt, press_params, resolve_button
from app.api.task_files import input_files, mask_file
from app.api.task_reads import ANONYMOUS, TaskReader
from app.api.video_extend import on_the_clip
from app.config import Settings
from app.dialects.novicezk_trueai import TRUEAI_FIELDS
from app.domain.actions import MODAL_ACTIONS, Action
from app.domain.bots import choose_bot
from app.domain.commands import CancelTask, CreateTask, PressButton, SubmitModal
from app.domain.errors import CommandError, ErrorKind
from app.domain.ids import new_task_id
from app.domain.images import InputImage
from app.domain.remix import REMIX_ACTIONS
from app.domain.status import TaskStatus, is_final
from app.domain.task import PINNED_ACCOUNT, QUEUE_AHEAD, Task
from app.domain.video import refuse_turbo_video, without_turbo
from db.admission import QueueState, queue_state

Submit = CreateTask | PressButton | SubmitModal


class TaskService(TaskReader):
    """The use-cases (submit, press, modal input, cancel) as the request's caller."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        super().__init__(engine, settings)
        self.banned = BannedWordSource(settings.banned_words, settings.banned_words_file)
        self.fetcher = ImageFetcher(
            settings.image_max_bytes, allow_private=settings.image_allow_private
        )
        self.limits = settings.input_limits()

    @property
    def max_image_bytes(self) -> int:
        return self.settings.image_max_bytes

    # ------------------------------------------------------------------------------ helpers

    def check_prompt(self, prompt: str | None) -> None:
        """Length, then banned words. The dialects refuse a long prompt first in their own
        words; this also holds for callers without a dialect (the dashboard)."""
        if prompt and len(prompt) > self.limits.prompt_chars:
            raise CommandError(
                ErrorKind.INVALID, f"prompt is longer than {self.limits.prompt_chars} characters"
            )
        word = self.banned.current().find(prompt)
        if word:
            raise CommandError(
                ErrorKind.BANNED, f"banned word: {word}", word=word, prompt=prompt or ""
            )

    def _properties(self, origin: str, dialect: str, extra: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {
            "_origin": self.settings.cdn_host or origin,
            "_file_token": secrets.token_hex(8),
        }
        if self.anonymous:
            props[ANONYMOUS] = True
        if dialect == "novicezk" and self.settings.novicezk_trueai_fields:
            props[TRUEAI_FIELDS] = True
        return {**props, **{k: v for k, v in extra.items() if v is not None}}

    async def earlier_task(self, idem: Idempotency | None) -> Task | None:
        """The task an earlier submit with this `Idempotency-Key` created (app/api/keyed.py)."""
        return await keyed.earlier_task(self.engine, self.caller, idem)

    async def _store(
        self, task: Task, files: list[Any], new_id: Any, idem: Idempotency | None
    ) -> Task:
        return await keyed.store_task(self.engine, self.caller, task, files, new_id, idem)

    async def _images(self, images: list[Any]) -> list[InputImage]:
        urls = [i for i in images if isinstance(i, str)]
        fetched = iter(await self.fetcher.fetch_all(urls))
        return [next(fetched) if isinstance(i, str) else i for i in images]

    def _new_id(self, dialect: str) -> str:
        return new_task_id(dialect, taskstore.now_ms())

    # ---------------------------------------------------------------------------- use-cases

    async def _admit(self, bot: str, account_id: str | None = None) -> QueueState:
        """Refuse when every account the task may run on has its slots and queue taken (as
        novicezk's queue-size): all accounts, the one it is pinned or filtered to, or its API
        key's accounts.

        With no usable account at all the task is accepted and waits: mjrelay queues durably,
        and an account added later picks it up.
        """
        accounts = admission_accounts(self.caller, account_id)
        state = await queue_state(self.engine, bot, accounts)  # one statement on its own
        if state.full:
            raise CommandError(ErrorKind.QUEUE_FULL, "队列已满，请稍后尝试")
        return state

    @staticmethod
    def _with_queue_position(task: Task, state: QueueState) -> Task:
        # In memory only: what the submit answer says about the queue at this moment.
        return task.replace(properties={**task.properties, QUEUE_AHEAD: state.ahead})

    async def create(self, cmd: CreateTask, origin: str, idem: Idempotency | None = None) -> Task:
        self.check_prompt(cmd.prompt)
        refuse_turbo_video(cmd.action, cmd.extra.route_mode)
        cmd = choose_bot(cmd, niji_from_prompt=self.settings.niji_from_prompt)
        where = without_turbo(cmd.action, await create_placement(self.engine, cmd))
        state = await self._admit(str(cmd.bot), where["filter_account_id"])
        images = await self._images(list(cmd.images))
        files, inputs = input_files(images, list(cmd.images))
        task = Task(
            id=self._new_id(cmd.dialect),
            dialect=cmd.dialect,
            bot=str(cmd.bot),
            action=str(cmd.action),
            prompt=cmd.prompt,
            params=dict(cmd.params),
            inputs=inputs,
            notify_url=cmd.extra.notify_url,
            client_state=cmd.extra.client_state,
            client_data=cmd.extra.client_data,
            properties=self._properties(origin, cmd.dialect, {"botType": cmd.extra.bot_type}),
            **where,
        )
        ensure_task_storable(task)
        created = await self._store(task, files, lambda: self._new_id(cmd.dialect), idem)
        return self._with_queue_position(created, state)

    async def _parent(self, parent_id: str) -> Task:
        parent = await self.get_task(parent_id)
        if parent is None:
            raise CommandError(ErrorKind.PARENT_NOT_FOUND, f"task {parent_id} does not exist")
        if parent.status != TaskStatus.SUCCESS:
            raise CommandError(
                ErrorKind.PARENT_NOT_FINISHED,
                f"task {parent_id} is {parent.status}; only a finished (SUCCESS) task has buttons",
            )
        return parent

    async def press(self, cmd: PressButton, origin: str, idem: Idempotency | None = None) -> Task:
        parent = await self._parent(cmd.parent_id)
        cmd, parent = await on_the_clip(self.engine, cmd, parent)
        ref = resolve_button(cmd, parent)
        self.check_prompt(cmd.prompt)
        refuse_turbo_video(ref.action, cmd.extra.route_mode)
        where = without_turbo(ref.action, press_placement(cmd, parent))
        waits_for_client = not cmd.prompt and (
            ref.action in MODAL_ACTIONS
            or await remix_waits_for_client(self.engine, parent, ref.action, where)
        )
        state = None if waits_for_client else await self._admit(parent.bot, parent.account_id)
        params = press_params(parent, ref, cmd.prompt)
        files = []
        if cmd.mask is not None:
            files.append(mask_file(cmd.mask))
        if waits_for_client:
            # Not pinned yet: a task waiting for the client must not hold a slot of the account's
            # cap. `submit_modal` pins it when it becomes PENDING.
            params[PINNED_ACCOUNT] = parent.account_id
        task = Task(
            id=self._new_id(cmd.dialect),
            dialect=cmd.dialect,
            bot=parent.bot,
            action=str(ref.action),
            status=TaskStatus.MODAL if waits_for_client else TaskStatus.PENDING,
            prompt=cmd.prompt or default_prompt(parent, ref),
            params={k: v for k, v in params.items() if v is not None},
            account_id=None if waits_for_client else parent.account_id,
            parent_id=parent.id,
            notify_url=cmd.extra.notify_url,
            client_state=cmd.extra.client_state,
            client_data=cmd.extra.client_data,
            properties=self._properties(origin, cmd.dialect, {"botType": parent.prop("botType")}),
            **where,
        )
        ensure_task_storable(task)
        created = await self._store(task, files, lambda: self._new_id(cmd.dialect), idem)
        return created if state is None else self._with_queue_position(created, state)

    async def submit(self, cmd: Submit, origin: str, idem: Idempotency | None = None) -> Task:
        """One submit route's work: a new task, a button press, or a modal's input. With an
        `Idempotency-Key` seen before (same request), the task that first submit created."""
        earlier = await self.earlier_task(idem)
        if earlier is not None:
            return earlier
        if isinstance(cmd, CreateTask):
            return await self.create(cmd, origin, idem)
        if isinstance(cmd, PressButton):
            return await self.press(cmd, origin, idem)
        return await self.submit_modal(cmd)

    async def submit_modal(self, cmd: SubmitModal) -> Task:
        task = await self.require_task(cmd.task_id)
        if task.status != TaskStatus.MODAL:
            raise CommandError(
                ErrorKind.WRONG_STATE, f"task {task.id} is {task.status}, not waiting for a modal"
            )
        prompt = cmd.prompt or task.prompt
        if task.action == Action.VARIATION_REGION and cmd.mask is None:
            raise CommandError(ErrorKind.INVALID, "maskBase64 is required for Vary (Region)")
        if task.action == Action.ZOOM_CUSTOM and "--zoom" not in prompt:
            raise CommandError(ErrorKind.INVALID, "Custom Zoom needs --zoom <1..2> in the prompt")
        self.check_prompt(prompt)
        ensure_storable(prompt, "prompt")
        params = {**task.params, "modalPrompt": prompt}
        account_id = params.pop(PINNED_ACCOUNT, None) or task.account_id
        changes: dict[str, Any] = {}
        if task.action in REMIX_ACTIONS:  # the client gave the remix prompt: submit it as is
            changes["remix_auto"] = True
        async with self.engine.begin() as conn:
            if cmd.mask is not None:
                mask = mask_file(cmd.mask)
                await taskstore.store_file(conn, task.id, mask)
            changed = await taskstore.record_change(
                conn,
                task.id,
                {
                    "status": TaskStatus.PENDING,
                    "prompt": prompt,
                    "params": params,
                    "account_id": account_id,
                    **changes,
                },
                kind="modal_submitted",
                expected_statuses={TaskStatus.MODAL},
            )
            if changed is None:
                raise CommandError(ErrorKind.WRONG_STATE, f"task {task.id} changed meanwhile")
        return changed

    async def cancel(self, cmd: CancelTask) -> Task:
        task = await self.require_task(cmd.task_id)
        if is_final(task.status):
            raise CommandError(ErrorKind.WRONG_STATE, f"task {task.id} is already {task.status}")
        changed = await taskstore.record_change(
            self.engine,
            task.id,
            {"status": TaskStatus.CANCEL, "fail_reason": "cancelled by the client"},
            kind="cancelled",
        )
        if changed is None:
            raise CommandError(ErrorKind.WRONG_STATE, f"task {task.id} finished meanwhile")
        return changed
