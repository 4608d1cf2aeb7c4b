"""Button clicks, modal submits and the Vary (Region) editor of the Midjourney bot."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PIL import Image

from app.sandbox import images
from app.sandbox.components import Click, parse_custom_id
from app.sandbox.messages import Origin
from app.sandbox.mj_replies import iframe_modal_create, modal_create
from app.sandbox.prompts import display_prompt, parse_prompt

if TYPE_CHECKING:
    from app.sandbox.interactions import Interaction
    from app.sandbox.midjourney import Flags, MidjourneyBot
    from app.sandbox.mj_jobs import Result

Json = dict[str, Any]
# action -> the kind of result its button sits on
RESULT_ACTIONS = {
    "upsample": "grid", "variation": "grid", "reroll": "grid", "upscale": "single",
    "vary": "single", "inpaint": "single", "outpaint": "single", "custom_zoom": "single",
    "pan": "single", "bookmark": "",
}  # fmt: skip
VARY = {"low": ("Variations (Subtle) by ", 0.8), "high": ("Variations (Strong) by ", 0.45)}
OUTPAINT = {
    "50": ("Zoom Out by ", 2.0),
    "75": ("Zoom Out by ", 1.5),
    "100": ("Make Square by ", 1.0),
}


def derived_grid(text: str, tag: str, make_tile: Callable[[int], Image.Image]) -> Image.Image:
    return images.compose_grid(
        [images.caption(make_tile(i), text, f"{tag} #{i + 1}") for i in range(4)]
    )


class Actions:
    """The bot's button, modal and inpaint handling; state lives on the bot."""

    def __init__(self, bot: MidjourneyBot) -> None:
        self.bot = bot

    async def click(self, it: Interaction, flags: Flags) -> None:
        click = parse_custom_id(it.custom_id)
        if click is None:
            self.bot.error(it, "failed")
            return
        if click.action in RESULT_ACTIONS:
            result = self.bot.results.get(click.hash)
            needed = RESULT_ACTIONS[click.action]
            if result is None or result.user_id != it.user_id or (needed and result.kind != needed):
                self.bot.error(it, "action_restricted")
                return
            if click.action == "bookmark":
                return
            prompt = result.prompt
            if not self.bot.account_gate(it, self.bot.relaxed(it, prompt)):
                return
            await getattr(self, f"_{click.action}")(it, flags, click, result)
        else:
            await getattr(self, f"_{click.action}")(it, flags, click)

    def _base(self, result: Result) -> Image.Image:
        """The result's picture at tile size (singles are stored upscaled)."""
        return result.image.resize(result.tile) if result.kind == "single" else result.image

    async def _grid_job(
        self,
        it: Interaction,
        flags: Flags,
        result: Result,
        label: str,
        make_tile: Callable[[int], Image.Image],
        origin: Origin | None = None,
        prompt_text: str | None = None,
        tile: tuple[int, int] | None = None,
    ) -> None:
        prompt = parse_prompt(prompt_text) if prompt_text is not None else result.prompt
        text = display_prompt(prompt)
        tag = label.replace(" by ", "").strip() or "Reroll"
        job = self.bot.job(
            it, origin or it.origin(), prompt, label, "grid",
            lambda: derived_grid(text, tag, make_tile), tile or result.tile, flags,
            echo_nonce=origin is None,
        )  # fmt: skip
        await self.bot.start(job)

    async def _upsample(self, it: Interaction, flags: Flags, click: Click, result: Result):
        tile = images.grid_tile(result.image, click.index)
        text = display_prompt(result.prompt)
        job = self.bot.job(
            it, it.origin(), result.prompt, f"Image #{click.index} ", "single",
            lambda: images.upscale(tile, text, f"Image #{click.index}"), result.tile, flags,
            progress=False, uses_slot=False, reply_to=result.message,
            components=self.bot.upscale_buttons(result.tile), mode_suffix=False,
        )  # fmt: skip
        await self.bot.start(job)

    async def _variation(self, it: Interaction, flags: Flags, click: Click, result: Result):
        base = images.grid_tile(result.image, click.index)
        text, seed, tile = display_prompt(result.prompt), self.bot.core.seed, result.tile
        salt = f"variation/{result.hash}/{click.index}"
        await self._grid_job(
            it, flags, result, "Variations by ",
            lambda i: images.render_scene(text, seed, f"{salt}/{i}", tile, base, 0.7),
        )  # fmt: skip

    async def _reroll(self, it: Interaction, flags: Flags, click: Click, result: Result):
        text, seed, tile = display_prompt(result.prompt), self.bot.core.seed, result.tile
        salt = f"reroll/{result.hash}"
        await self._grid_job(
            it, flags, result, "", lambda i: images.render_scene(text, seed, f"{salt}/{i}", tile)
        )

    async def _upscale(self, it: Interaction, flags: Flags, click: Click, result: Result):
        flavour = "Subtle" if click.arg.endswith("subtle") else "Creative"
        source, text = result.image, display_prompt(result.prompt)
        job = self.bot.job(
            it, it.origin(), result.prompt, f"Upscaled ({flavour}) by ", "single",
            lambda: images.upscale(source, text, f"Upscaled ({flavour})"), result.tile, flags,
            progress_label="Upscaling by ", components=self.bot.upscale_buttons(result.tile),
        )  # fmt: skip
        await self.bot.start(job)

    async def _vary(self, it: Interaction, flags: Flags, click: Click, result: Result):
        label, weight = VARY[click.arg]
        base, text, seed, tile = self._base(result), display_prompt(result.prompt), 0, result.tile
        seed = self.bot.core.seed
        salt = f"vary/{click.arg}/{result.hash}"
        await self._grid_job(
            it, flags, result, label,
            lambda i: images.render_scene(text, seed, f"{salt}/{i}", tile, base, weight),
        )  # fmt: skip

    async def _outpaint(self, it: Interaction, flags: Flags, click: Click, result: Result):
        label, factor = OUTPAINT[click.arg]
        await self._zoom_job(it, flags, result, label, factor, square=click.arg == "100")

    async def _zoom_job(
        self,
        it: Interaction,
        flags: Flags,
        result: Result,
        label: str,
        factor: float,
        square: bool = False,
        prompt_text: str | None = None,
    ) -> None:
        base, seed = self._base(result), self.bot.core.seed
        text = display_prompt(parse_prompt(prompt_text) if prompt_text else result.prompt)
        side = max(result.tile)
        size = (side, side) if square else result.tile
        salt = f"zoom/{factor}/{result.hash}"
        await self._grid_job(
            it, flags, result, label,
            lambda i: images.zoom_out(base, factor, text, seed, f"{salt}/{i}", size),
            prompt_text=prompt_text, tile=size,
        )  # fmt: skip

    async def _pan(self, it: Interaction, flags: Flags, click: Click, result: Result):
        base, text, seed = self._base(result), display_prompt(result.prompt), self.bot.core.seed
        salt = f"pan/{click.arg}/{result.hash}"
        await self._grid_job(
            it, flags, result, f"Pan {click.arg.title()} by ",
            lambda i: images.pan(base, click.arg, text, seed, f"{salt}/{i}"),
        )  # fmt: skip

    async def _custom_zoom(self, it: Interaction, flags: Flags, click: Click, result: Result):
        from app.sandbox.midjourney import PendingModal

        custom_id = f"MJ::OutpaintCustomZoomModal::{result.hash}"
        self.bot.modals[it.id] = PendingModal("custom_zoom", it.user_id, custom_id, result.hash)
        value = f"{result.prompt.raw} --zoom 2"
        data = modal_create(
            it.id, it.nonce, it.channel_id, custom_id, "Zoom Out",
            "MJ::OutpaintCustomZoomModal::prompt", "Zoom Text", value,
        )  # fmt: skip
        self.bot.core.gateway.dispatch(
            "INTERACTION_MODAL_CREATE", data, [it.user_id], it.session_id
        )

    async def _inpaint(self, it: Interaction, flags: Flags, click: Click, result: Result):
        from app.sandbox.midjourney import PendingIframe

        token = self.bot.core.new_uuid().replace("-", "")
        self.bot.iframes[token] = PendingIframe(it, result, flags)
        data = iframe_modal_create(
            it.id, it.nonce, it.channel_id, token, "Inpaint", "/inpaint/index.html"
        )
        self.bot.core.gateway.dispatch(
            "INTERACTION_IFRAME_MODAL_CREATE", data, [it.user_id], it.session_id
        )

    async def _cancel(self, it: Interaction, flags: Flags, click: Click) -> None:
        job = self.bot.running.get(click.hash)
        if job is None or job.user_id != it.user_id:
            self.bot.error(it, "action_restricted")
        else:
            job.cancel()

    async def _picreader(self, it: Interaction, flags: Flags, click: Click):
        prompts = self.bot.prompt_lists.get(it.message["id"] if it.message else "", [])
        if click.arg == "all":
            await asyncio.gather(*(self.bot.imagine(it, flags, text=p) for p in prompts))
            return
        self._prompt_modal(
            it, "MJ::Picreader::Modal", "MJ::Picreader::Modal::PromptField",
            prompts[int(click.arg) - 1] if len(prompts) >= int(click.arg) else "",
        )  # fmt: skip

    async def _picread_retry(self, it: Interaction, flags: Flags, click: Click):
        source = self.bot.describe_sources.get(it.message["id"] if it.message else "")
        await self.bot.describe(it, flags, source=source)

    async def _prompt_analyzer(self, it: Interaction, flags: Flags, click: Click):
        message_id = it.message["id"] if it.message else ""
        prompts = self.bot.prompt_lists.get(message_id, [])
        if not click.arg.isdigit():
            self.bot._notice(it, "Details: every token was weighed by length (sandbox).")
            return
        index = int(click.arg)
        text = prompts[index - 1] if len(prompts) >= index else ""
        self._prompt_modal(
            it, f"MJ::ImagineModal::{message_id}", "MJ::ImagineModal::new_prompt", text
        )

    def _prompt_modal(self, it: Interaction, custom_id: str, field: str, text: str):
        from app.sandbox.midjourney import PendingModal

        self.bot.modals[it.id] = PendingModal("imagine", it.user_id, custom_id, text=text)
        data = modal_create(it.id, it.nonce, it.channel_id, custom_id, "Imagine This!", field,
                            "Prompt", text)  # fmt: skip
        self.bot.core.gateway.dispatch(
            "INTERACTION_MODAL_CREATE", data, [it.user_id], it.session_id
        )

    async def _moderation(self, it: Interaction, flags: Flags, click: Click):
        state = it.state
        if click.hash not in state.moderation_tokens:
            self.bot.error(it, "action_restricted")
            return
        state.moderation_tokens.discard(click.hash)
        if click.arg == "Acknowledge":
            state.pending_mod = False
            self.bot._notice(it, "Thanks! You can use the bot again.")
        else:
            self.bot._notice(it, "Your appeal was accepted (sandbox).")

    async def modal_submit(self, it: Interaction, flags: Flags) -> None:
        modal = self.bot.modals.pop(str(it.data.get("id")), None)
        text = next(iter(it.text_inputs().values()), "").strip()
        if modal is None:
            self.bot.error(it, "failed")
            return
        if modal.kind != "custom_zoom":
            await self.bot.imagine(it, flags, text=text)
            return
        result = self.bot.results.get(modal.hash)
        prompt = parse_prompt(text)
        if result is None:
            self.bot.error(it, "action_restricted")
            return
        if not self.bot.prompt_ok(it, prompt) or not self.bot.account_gate(
            it, self.bot.relaxed(it, prompt)
        ):
            return
        factor = float(prompt.param("zoom") or 2.0)
        await self._zoom_job(it, flags, result, "Zoom Out by ", factor, prompt_text=text)

    def submit_inpaint(self, payload: Json) -> tuple[int, Json]:
        """`POST /inpaint/api/submit-job` (the Vary (Region) editor's backend)."""
        pending = self.bot.iframes.pop(str(payload.get("customId", "")), None)
        if pending is None:
            return 404, {"success": False, "message": "Unknown customId"}
        try:
            mask = images.decode(base64.b64decode(str(payload.get("mask", "")), validate=True))
        except (binascii.Error, ValueError):
            mask = None
        if mask is None:
            self.bot.iframes[str(payload["customId"])] = pending  # let the client retry
            return 400, {"success": False, "message": "Invalid mask"}
        it, result = pending.it, pending.result
        text = str(payload.get("prompt") or "").strip() or result.prompt.raw
        origin = Origin(
            interaction_id=it.id, interaction_type=3, user=it.state.account.user(),
            guild_id=it.guild_id, interacted_message_id=result.message["id"],
        )  # fmt: skip
        base, seed, tile = self._base(result), self.bot.core.seed, result.tile
        mask_l = mask.convert("L").resize(tile)
        shown = display_prompt(parse_prompt(text))

        def make_tile(i: int) -> Image.Image:
            scene = images.render_scene(shown, seed, f"region/{result.hash}/{i}", tile)
            return Image.composite(scene, base, mask_l)

        self.bot.core.spawn(
            self._grid_job(it, pending.flags, result, "Variations (Region) by ", make_tile,
                           origin=origin, prompt_text=text)
        )  # fmt: skip
        return 200, {"success": True}
