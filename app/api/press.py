"""Which button a press means, and what the follow-up task keeps of it (pure).

A press names a button of a finished task: by its Discord custom id (novicezk plus, webman), or
by action + index (U1, V2, Reroll …). The parent's stored buttons decide; an old grid parent
without stored buttons still gets its U/V/reroll from the job hash, as Discord accepts those.
"""

from __future__ import annotations

from typing import Any

from app.domain import buttons as btn
from app.domain.actions import Action
from app.domain.commands import PressButton
from app.domain.errors import CommandError, ErrorKind
from app.domain.task import Task

GRID_ACTIONS = frozenset({Action.UPSCALE, Action.VARIATION, Action.REROLL})
GRID_PARENTS = frozenset(
    {"IMAGINE", "VARIATION", "REROLL", "BLEND", "VARIATION_SUBTLE", "VARIATION_STRONG"}
)


def resolve_button(cmd: PressButton, parent: Task) -> btn.ButtonRef:
    """The parent's button `cmd` presses, or the dialect-facing reason there is none."""
    if cmd.custom_id is not None:
        ref = btn.find_custom_id(parent.buttons, cmd.custom_id)
        if ref is not None:
            return ref
        if btn.classify(cmd.custom_id) is None:
            raise CommandError(ErrorKind.ACTION_NOT_FOUND, f"unsupported customId: {cmd.custom_id}")
        raise CommandError(
            ErrorKind.BUTTON_NOT_FOUND,
            f"task {parent.id} has no button {cmd.custom_id}",
        )
    assert cmd.action is not None
    ref = btn.find_action(parent.buttons, cmd.action, cmd.index, cmd.variant)
    if ref is not None:
        return ref
    grid_parent = parent.action in GRID_PARENTS and not btn.custom_ids(parent.buttons)
    if cmd.action in GRID_ACTIONS and grid_parent and parent.message_hash:
        custom_id = btn.grid_custom_id(cmd.action, cmd.index or 1, parent.message_hash)
        return btn.ButtonRef(cmd.action, custom_id, index=cmd.index)
    raise CommandError(
        ErrorKind.ACTION_NOT_ALLOWED,
        f"task {parent.id} ({parent.action}) has no button for {cmd.action}"
        + (f" {cmd.index}" if cmd.index else ""),
    )


def press_params(parent: Task, ref: btn.ButtonRef, prompt: str | None) -> dict[str, Any]:
    """The follow-up's `params`: the button and the parent message it sits on."""
    params: dict[str, Any] = {
        "customId": ref.custom_id,
        "messageId": parent.message_id,
        "messageHash": parent.message_hash,
        "messageFlags": parent.message_flags,
    }
    if ref.index is not None:
        params["index"] = ref.index
    if ref.variant is not None:
        params["variant"] = ref.variant
        if ref.action in (Action.ZOOM_OUT, Action.MAKE_SQUARE):
            params["zoom"] = ref.variant
    if prompt:
        params["modalPrompt"] = prompt
    return params


def default_prompt(parent: Task, ref: btn.ButtonRef) -> str:
    """What a modal shows before the client edits it: the described/shortened prompt n."""
    prompts = parent.prop("prompts")
    if ref.action in (Action.PIC_READER, Action.PROMPT_ANALYZER) and isinstance(prompts, list):
        index = (ref.index or 1) - 1
        if 0 <= index < len(prompts) and isinstance(prompts[index], str):
            return prompts[index]
    return parent.prompt
