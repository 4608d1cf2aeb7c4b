"""Button clicks and modal submits of the Midjourney bot."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

from app.sandbox import images
from app.sandbox.bot_flags import Flags
from app.sandbox.components import Click, parse_custom_id
from app.sandbox.context import BotContext
from app.sandbox.interactions import Interaction
from app.sandbox.mj_commands import Commands
from app.sandbox.mj_derive import Derive, base_image
from app.sandbox.mj_editor import RegionEditor
from app.sandbox.mj_jobs import JobRunner
from app.sandbox.mj_remix import (
    REMIX_ACTIONS,
    remix_label,
    remix_modal,
    submitted_click,
    variation_strength,
)
from app.sandbox.mj_respond import Respond
from app.sandbox.mj_state import Memory, PendingModal, Result, is_relaxed, upscale_buttons
from app.sandbox.prompts import display_prompt, parse_prompt

Json = dict[str, Any]
# action -> the kind of result its button sits on
RESULT_ACTIONS = {
    "upsample": "grid", "variation": "grid", "reroll": "grid|video", "upscale": "single",
    "vary": "single", "inpaint": "single", "outpaint": "single", "custom_zoom": "single",
    "pan": "single", "bookmark": "", "animate": "single", "animate_extend": "video",
    "video_virtual_upscale": "video",
}  # fmt: skip
VARY = {"low": ("Variations (Subtle) by ", 0.8), "high": ("Variations (Strong) by ", 0.45)}
OUTPAINT = {
    "50": ("Zoom Out by ", 2.0),
    "75": ("Zoom Out by ", 1.5),
    "100": ("Make Square by ", 1.0),
}


@dataclass(eq=False)
class Actions:
    ctx: BotContext
    respond: Respond
    runner: JobRunner
    commands: Commands
    memory: Memory

    def __post_init__(self) -> None:
        self.derive = Derive(self.runner, self.ctx.seed)
        self.editor = RegionEditor(self.ctx, self.respond, self.memory, self.derive)

    async def click(self, it: Interaction, flags: Flags) -> None:
        click = parse_custom_id(it.custom_id)
        if click is None:
            self.respond.error(it, "failed")
            return
        if click.action in RESULT_ACTIONS:
            result = self.memory.results.get(click.hash)
            needed = RESULT_ACTIONS[click.action]
            wrong_kind = needed and result is not None and result.kind not in needed.split("|")
            if result is None or result.user_id != it.user_id or wrong_kind:
                self.respond.error(it, "action_restricted")
                return
            if click.action == "bookmark":
                return
            if not self.respond.account_gate(it, is_relaxed(it, result.prompt)):
                return
            if click.action in REMIX_ACTIONS and it.prefs.remix:
                self._open_remix(it, click, result)
                return
            await getattr(self, f"_{click.action}")(it, flags, click, result)
        else:
            await getattr(self, f"_{click.action}")(it, flags, click)

    async def _upsample(self, it: Interaction, flags: Flags, click: Click, result: Result):
        tile = images.grid_tile(result.image, click.index)
        text = display_prompt(result.prompt)
        job = self.runner.new_job(
            it, it.origin(), result.prompt, f"Image #{click.index} ", "single",
            lambda: images.upscale(tile, text, f"Image #{click.index}"), result.tile, flags,
            progress=False, uses_slot=False, reply_to=result.message,
            components=upscale_buttons(result.tile), mode_suffix=False,
        )  # fmt: skip
        await self.runner.start(job)

    # The variation-type actions take `remix`, the prompt a remix modal submitted.
    async def _variation(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None = None
    ) -> None:
        base = images.grid_tile(result.image, click.index)
        text, seed, tile = _shown(result, remix), self.ctx.seed, result.tile
        salt = f"variation/{result.hash}/{click.index}"
        if not click.arg:  # a V button: strength by the account's High/Low Variation Mode
            click = dataclasses.replace(click, arg=variation_strength(it.prefs.profile))
        label, weight = VARY[click.arg]
        if remix is not None:
            label = remix_label(click)
        await self.derive.grid(
            it, flags, result, label,
            lambda i: images.render_scene(text, seed, f"{salt}/{i}", tile, base, weight),
            prompt_text=remix,
        )  # fmt: skip

    async def _reroll(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None = None
    ) -> None:
        if result.kind == "video":  # the video job again, with the (remixed) prompt
            prompt = parse_prompt(remix) if remix is not None else result.prompt
            await self.commands.videos.imagine(it, flags, prompt)
            return
        text, seed, tile = _shown(result, remix), self.ctx.seed, result.tile
        salt = f"reroll/{result.hash}"
        await self.derive.grid(
            it, flags, result, "", lambda i: images.render_scene(text, seed, f"{salt}/{i}", tile),
            prompt_text=remix,
        )  # fmt: skip

    async def _upscale(self, it: Interaction, flags: Flags, click: Click, result: Result):
        flavour = "Subtle" if click.arg.endswith("subtle") else "Creative"
        source, text = result.image, display_prompt(result.prompt)
        job = self.runner.new_job(
            it, it.origin(), result.prompt, f"Upscaled ({flavour}) by ", "single",
            lambda: images.upscale(source, text, f"Upscaled ({flavour})"), result.tile, flags,
            progress_label="Upscaling by ", components=upscale_buttons(result.tile),
        )  # fmt: skip
        await self.runner.start(job)

    async def _vary(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None = None
    ) -> None:
        label, weight = VARY[click.arg]
        base, text, tile = base_image(result), _shown(result, remix), result.tile
        seed = self.ctx.seed
        salt = f"vary/{click.arg}/{result.hash}"
        await self.derive.grid(
            it, flags, result, remix_label(click) if remix else label,
            lambda i: images.render_scene(text, seed, f"{salt}/{i}", tile, base, weight),
            prompt_text=remix,
        )  # fmt: skip

    async def _outpaint(self, it: Interaction, flags: Flags, click: Click, result: Result):
        label, factor = OUTPAINT[click.arg]
        await self.derive.zoom(it, flags, result, label, factor, square=click.arg == "100")

    async def _pan(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None = None
    ) -> None:
        base, text, seed = base_image(result), _shown(result, remix), self.ctx.seed
        salt = f"pan/{click.arg}/{result.hash}"
        await self.derive.grid(
            it, flags, result, f"Pan {click.arg.title()} by ",
            lambda i: images.pan(base, click.arg, text, seed, f"{salt}/{i}"), prompt_text=remix,
        )  # fmt: skip

    async def _animate(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None = None
    ) -> None:
        await self.commands.videos.animate(it, flags, click, result, remix)

    async def _animate_extend(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None = None
    ) -> None:
        await self.commands.videos.extend(it, flags, click, result, remix)

    async def _video_virtual_upscale(
        self, it: Interaction, flags: Flags, click: Click, result: Result
    ) -> None:
        await self.commands.videos.upscale(it, flags, click, result)

    def _open_remix(self, it: Interaction, click: Click, result: Result) -> None:
        modal = remix_modal(click, result, it.prefs.profile.high_variation)
        self.memory.modals[it.id] = PendingModal(
            "remix", it.user_id, modal.custom_id, result.hash, click=click
        )
        self.respond.modal(it, modal.custom_id, modal.title, modal.field, modal.label,
                           result.prompt.raw)  # fmt: skip

    async def _custom_zoom(self, it: Interaction, flags: Flags, click: Click, result: Result):
        custom_id = f"MJ::OutpaintCustomZoomModal::{result.hash}"
        self.memory.modals[it.id] = PendingModal("custom_zoom", it.user_id, custom_id, result.hash)
        value = f"{result.prompt.raw} --zoom 2"
        self.respond.modal(
            it, custom_id, "Zoom Out", "MJ::OutpaintCustomZoomModal::prompt", "Zoom Text", value
        )

    async def _inpaint(self, it: Interaction, flags: Flags, click: Click, result: Result):
        self.editor.open(it, flags, result)

    async def _cancel(self, it: Interaction, flags: Flags, click: Click) -> None:
        job = self.memory.running.get(click.hash)
        if job is None or job.user_id != it.user_id:
            self.respond.error(it, "action_restricted")
        else:
            job.cancel()

    async def _picreader(self, it: Interaction, flags: Flags, click: Click):
        prompts = self.memory.prompt_lists.get(it.message["id"] if it.message else "", [])
        if click.arg == "all":
            await asyncio.gather(*(self.commands.imagine(it, flags, text=p) for p in prompts))
            return
        self._prompt_modal(
            it, "MJ::Picreader::Modal", "MJ::Picreader::Modal::PromptField",
            prompts[int(click.arg) - 1] if len(prompts) >= int(click.arg) else "",
        )  # fmt: skip

    async def _picread_retry(self, it: Interaction, flags: Flags, click: Click):
        source = self.memory.describe_sources.get(it.message["id"] if it.message else "")
        await self.commands.describe(it, flags, source=source)

    async def _prompt_analyzer(self, it: Interaction, flags: Flags, click: Click):
        message_id = it.message["id"] if it.message else ""
        prompts = self.memory.prompt_lists.get(message_id, [])
        if not click.arg.isdigit():
            self.respond.notice(it, "Details: every token was weighed by length (sandbox).")
            return
        index = int(click.arg)
        text = prompts[index - 1] if len(prompts) >= index else ""
        self._prompt_modal(
            it, f"MJ::ImagineModal::{message_id}", "MJ::ImagineModal::new_prompt", text
        )

    def _prompt_modal(self, it: Interaction, custom_id: str, field: str, text: str):
        self.memory.modals[it.id] = PendingModal("imagine", it.user_id, custom_id, text=text)
        self.respond.modal(it, custom_id, "Imagine This!", field, "Prompt", text)

    async def _settings(self, it: Interaction, flags: Flags, click: Click) -> None:
        self.commands.controls.press(it)

    async def _moderation(self, it: Interaction, flags: Flags, click: Click):
        state = it.state
        if click.hash not in state.moderation_tokens:
            self.respond.error(it, "action_restricted")
            return
        state.moderation_tokens.discard(click.hash)
        if click.arg == "Acknowledge":
            state.pending_mod = False
            self.respond.notice(it, "Thanks! You can use the bot again.")
        else:
            self.respond.notice(it, "Your appeal was accepted (sandbox).")

    async def modal_submit(self, it: Interaction, flags: Flags) -> None:
        modal = self.memory.modals.pop(str(it.data.get("id")), None)
        text = next(iter(it.text_inputs().values()), "").strip()
        if modal is None:
            self.respond.error(it, "failed")
            return
        if modal.kind not in ("custom_zoom", "remix"):
            await self.commands.imagine(it, flags, text=text)
            return
        result = self.memory.results.get(modal.hash)
        prompt = parse_prompt(text)
        if result is None:
            self.respond.error(it, "action_restricted")
            return
        if not self.respond.prompt_ok(it, prompt) or not self.respond.account_gate(
            it, is_relaxed(it, prompt)
        ):
            return
        if modal.click is not None:  # a remix: the clicked action, with the submitted prompt
            click = submitted_click(modal.click, modal.custom_id)
            await getattr(self, f"_{click.action}")(it, flags, click, result, remix=text)
            return
        factor = float(prompt.param("zoom") or 2.0)
        await self.derive.zoom(it, flags, result, "Zoom Out by ", factor, prompt_text=text)


def _shown(result: Result, remix: str | None) -> str:
    """The prompt drawn on the new images: the remixed one, else the result's."""
    return display_prompt(parse_prompt(remix) if remix is not None else result.prompt)
