"""The simulated Midjourney bot: routes interactions to jobs, modals, errors and replies.

Order of events for every interaction, as on Discord:
INTERACTION_CREATE -> INTERACTION_SUCCESS (or FAILURE / captcha iframe) -> bot messages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PIL import Image

from app.sandbox import images
from app.sandbox.components import (
    acknowledge_components,
    appeal_components,
    describe_components,
    shorten_components,
    upscale_components,
)
from app.sandbox.emitter import Emitter
from app.sandbox.faults import ACCOUNT_KINDS, FaultError, flag_to_fault
from app.sandbox.interactions import Interaction
from app.sandbox.messages import (
    DESCRIBE_COLOUR,
    MJ_APPLICATION_ID,
    MJ_BOT,
    Origin,
    embed,
    message,
)
from app.sandbox.mj_actions import Actions
from app.sandbox.mj_jobs import Job, JobFaults, JobRunner, Result
from app.sandbox.mj_replies import (
    BOT_ERROR_TEXT,
    CAPTCHA_TITLE,
    FAILED_CONTENT,
    describe_prompts,
    describe_text,
    error_message,
    iframe_modal_create,
    shorten_prompts,
    shorten_text,
)
from app.sandbox.prompts import (
    Prompt,
    aspect_of,
    banned_word,
    parameter_error,
    parse_prompt,
)
from app.sandbox.snowflake import snowflake_timestamp

if TYPE_CHECKING:
    from app.sandbox.core import SandboxCore

Json = dict[str, Any]
JOB_FAULTS = {"drop_final", "delay", "duplicate", "reorder", "stop", "disconnect_mid_job"}


@dataclass
class Flags:
    """Faults that apply to one interaction (armed ones taken + prompt flags)."""

    job: JobFaults = field(default_factory=JobFaults)
    failure: bool = False
    silent: bool = False
    error: str | None = None
    bad_flag: str | None = None


@dataclass
class PendingModal:
    kind: str  # custom_zoom | picreader | imagine
    user_id: str
    custom_id: str
    hash: str = ""
    text: str = ""


@dataclass
class PendingIframe:
    it: Interaction
    result: Result
    flags: Flags


class MidjourneyBot:
    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.results: dict[str, Result] = {}
        self.running: dict[str, Job] = {}
        self.runner = JobRunner(core, self.results, self.running)
        self.modals: dict[str, PendingModal] = {}
        self.iframes: dict[str, PendingIframe] = {}
        self.prompt_lists: dict[str, list[str]] = {}  # describe/shorten message id -> prompts
        self.describe_sources: dict[str, Image.Image] = {}
        self.actions = Actions(self)

    # -- entry --------------------------------------------------------------------------------

    def accept(self, it: Interaction) -> None:
        self.core.spawn(self.handle(it))

    def has_modal(self, interaction_id: str, user_id: str, custom_id: str) -> bool:
        modal = self.modals.get(interaction_id)
        return modal is not None and modal.user_id == user_id and modal.custom_id == custom_id

    async def handle(self, it: Interaction) -> None:
        flags = self._flags(it)
        self._event("INTERACTION_CREATE", it)
        if flags.failure:
            await self.core.speed.pause(self.core.speed.start_delay)
            self._event("INTERACTION_FAILURE", it, reason_code=2)
            return
        if it.state.captcha and not self._is_moderation_click(it):
            self._event("INTERACTION_SUCCESS", it)
            self._captcha(it)
            return
        self._event("INTERACTION_SUCCESS", it)
        if flags.silent:
            return
        if flags.bad_flag:
            self.error(it, "invalid_parameter", description=flags.bad_flag)
        elif flags.error:
            self._forced_error(it, flags.error)
        elif it.type == 2:
            await self._command(it, flags)
        elif it.type == 3:
            await self.actions.click(it, flags)
        else:
            await self.actions.modal_submit(it, flags)

    def _event(self, event: str, it: Interaction, **extra: Any) -> None:
        data = {"id": it.id, "nonce": it.nonce, **extra}
        self.core.gateway.dispatch(event, data, [it.user_id], it.session_id)

    # -- faults ---------------------------------------------------------------------------------

    def _flags(self, it: Interaction) -> Flags:
        flags = Flags()
        user_id = it.user_id
        taken = self.core.faults.take_all(
            JOB_FAULTS | {"interaction_failure", "silent", "error"}, user_id
        )
        pairs = [(fault.kind, fault.params) for fault in taken]
        for name, arg in self._prompt(it).faults:
            try:
                pairs.append(flag_to_fault(name, arg))
            except FaultError as exc:
                flags.bad_flag = str(exc)
        for kind, params in pairs:
            self._apply_flag(flags, it, kind, params)
        return flags

    def _apply_flag(self, flags: Flags, it: Interaction, kind: str, params: Json) -> None:
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
        elif kind in ("rate_limit", "server_error", "withhold_ack", "resume_fail"):
            self.core.faults.arm(kind, it.user_id, int(params.pop("count", 1)), **params)
        elif kind in ACCOUNT_KINDS:
            self.core._apply_account_fault(kind, it.state, params)

    def _prompt(self, it: Interaction) -> Prompt:
        if it.type == 2:
            return parse_prompt(str(it.options().get("prompt") or ""))
        if it.type == 5:
            return parse_prompt(" ".join(it.text_inputs().values()))
        return parse_prompt("")

    # -- replies --------------------------------------------------------------------------------

    def error(
        self,
        it: Interaction,
        name: str,
        description: str | None = None,
        origin: Origin | None = None,
        footer: str | None = None,
    ) -> None:
        origin = origin or it.origin()
        components = None
        if name in ("pending_mod", "action_needed"):
            token = self.core.new_uuid().replace("-", "")
            it.state.moderation_tokens.add(token)
            make = acknowledge_components if name == "pending_mod" else appeal_components
            components = make(token)
        title, default = BOT_ERROR_TEXT.get(name, (None, FAILED_CONTENT))
        reply = error_message(
            id=self.core.new_id(), origin=origin, channel_id=it.channel_id, title=title,
            description=description or default, footer=footer, components=components,
            content=FAILED_CONTENT if title is None else "",
        )  # fmt: skip
        Emitter(self.core).create(reply, it.user_id)

    def _forced_error(self, it: Interaction, name: str) -> None:
        if name == "captcha":
            self._captcha(it)
        else:
            self.error(it, name, footer=f"/imagine {self._prompt(it).raw}")

    def _captcha(self, it: Interaction) -> None:
        token = self.core.new_uuid().replace("-", "")
        data = iframe_modal_create(
            it.id, it.nonce, it.channel_id, token, CAPTCHA_TITLE, f"/captcha/embedded/{token}"
        )
        self.core.gateway.dispatch(
            "INTERACTION_IFRAME_MODAL_CREATE", data, [it.user_id], it.session_id
        )

    def _is_moderation_click(self, it: Interaction) -> bool:
        return it.type == 3 and it.custom_id.startswith("MJ::Prompts::")

    def account_gate(self, it: Interaction, relaxed: bool, origin: Origin | None = None) -> bool:
        """False (after replying) when the account may not start a job now."""
        state = it.state
        if state.blocked:
            self.error(it, "blocked", origin=origin)
        elif state.pending_mod:
            self.error(it, "pending_mod", origin=origin)
        elif state.credits_exhausted and not relaxed:
            self.error(it, "credits_exhausted", origin=origin)
        else:
            return True
        return False

    def prompt_ok(self, it: Interaction, prompt: Prompt, origin: Origin | None = None) -> bool:
        footer = f"/imagine {prompt.raw}"
        if not prompt.text and not prompt.image_urls:
            self.error(it, "empty_prompt", origin=origin, footer=footer)
            return False
        problem = parameter_error(prompt)
        if problem:
            self.error(it, "invalid_parameter", problem, origin=origin, footer=footer)
            return False
        if banned_word(prompt):
            it.state.strikes += 1
            self.error(it, "banned_prompt", origin=origin, footer=footer)
            return False
        return True

    def relaxed(self, it: Interaction, prompt: Prompt) -> bool:
        if prompt.has("fast", "turbo"):
            return False
        return prompt.has("relax") or it.state.mode == "relax"

    async def start(self, job: Job) -> None:
        await self.runner.run(job, lambda: self.error(job.it, "queue_full", origin=job.origin))

    # -- slash commands -------------------------------------------------------------------------

    async def _command(self, it: Interaction, flags: Flags) -> None:
        handlers = {
            "imagine": self.imagine,
            "blend": self.blend,
            "describe": self.describe,
            "shorten": self.shorten,
        }
        handler = handlers.get(it.command)
        if handler is not None:
            await handler(it, flags)
        elif it.command in ("fast", "relax", "turbo"):
            it.state.mode = it.command
            self._notice(it, f"Done! Your jobs now use {it.command} mode.")
        elif it.command == "info":
            self._info(it)
        else:
            self._notice(it, f"/{it.command} is not simulated by the mjrelay sandbox.")

    def _notice(self, it: Interaction, content: str, embeds: list[Json] | None = None) -> None:
        origin = it.origin()
        reply = message(
            id=self.core.new_id(), type=20, channel_id=it.channel_id, guild_id=it.guild_id,
            author=MJ_BOT, content=content, mentions=[it.state.account.user()], embeds=embeds,
            flags=64, application_id=MJ_APPLICATION_ID, nonce=it.nonce,
            interaction=origin.interaction(), interaction_metadata=origin.metadata(),
        )  # fmt: skip
        Emitter(self.core).create(reply, it.user_id)

    def _info(self, it: Interaction) -> None:
        state = it.state
        mode = {"fast": "Fast", "relax": "Relaxed", "turbo": "Turbo"}[state.mode]
        remaining = "0.00/15.0 hours" if state.credits_exhausted else "15.00/15.0 hours"
        lines = [
            "**Subscription**: Standard (Sandbox)",
            f"**Job Mode**: {mode}",
            "**Visibility Mode**: Public",
            f"**Fast Time Remaining**: {remaining}",
            f"**Queued Jobs ({state.mode})**: {state.slots.queued}",
            f"**Running Jobs**: {state.slots.active}",
        ]
        self._notice(it, "", [embed("Your info", "\n".join(lines), DESCRIBE_COLOUR)])

    async def imagine(self, it: Interaction, flags: Flags, text: str | None = None) -> None:
        prompt = parse_prompt(text if text is not None else str(it.options().get("prompt", "")))
        relaxed = self.relaxed(it, prompt)
        if not self.prompt_ok(it, prompt) or not self.account_gate(it, relaxed):
            return
        tile = images.tile_size(aspect_of(prompt))
        bases: list[Image.Image | None] = []
        for url in prompt.image_urls:  # image prompts: only the sandbox's own CDN is reachable
            stored = self.core.cdn.resolve_url(url)
            decoded = images.decode(stored.data) if stored else None
            if decoded is not None:
                bases.append(decoded)
        seed = self._seed(prompt)
        label_prompt = prompt.raw

        def render() -> Image.Image:
            shown = prompt.text or label_prompt
            return images.render_grid(shown, seed, f"imagine/{prompt.raw}", tile, bases or None)

        await self.start(self.job(it, it.origin(), prompt, "", "grid", render, tile, flags))

    def _seed(self, prompt: Prompt) -> int:
        value = prompt.param("seed")
        return int(value) if value and value.isdigit() else self.core.seed

    def job(
        self,
        it: Interaction,
        origin: Origin,
        prompt: Prompt,
        label: str,
        kind: str,
        render: Any,
        tile: tuple[int, int],
        flags: Flags,
        **options: Any,
    ) -> Job:
        return Job(
            it=it, origin=origin, prompt=prompt, label=label, kind=kind, render=render, tile=tile,
            hash=self.core.new_uuid(), faults=flags.job, relaxed=self.relaxed(it, prompt),
            **options,
        )  # fmt: skip

    async def blend(self, it: Interaction, flags: Flags) -> None:
        files = [it.option_file(f"image{i}") for i in range(1, 6)]
        uploads = [f for f in files if f is not None]
        if len({hashlib.sha256(f.data).digest() for f in uploads}) < len(uploads):
            self.error(it, "duplicate_images")
            return
        decoded = [images.decode(f.data) for f in uploads]
        if len(uploads) < 2 or any(image is None for image in decoded):
            self.error(it, "invalid_link")
            return
        urls = [
            self.core.store_file(it.channel_id, f.filename, f.data, f.content_type)["url"]
            for f in uploads
        ]
        dimensions = str(it.options().get("dimensions") or "--ar 1:1")
        prompt = parse_prompt(" ".join([*urls, dimensions]))
        if not self.account_gate(it, self.relaxed(it, prompt)):
            return
        tile = images.tile_size(aspect_of(prompt))
        salt = "blend/" + "/".join(hashlib.sha256(f.data).hexdigest()[:12] for f in uploads)
        seed = self.core.seed

        def render() -> Image.Image:
            return images.render_grid("blend", seed, salt, tile, list(decoded), "", 0.75)

        await self.start(self.job(it, it.origin(), prompt, "", "grid", render, tile, flags))

    async def describe(self, it: Interaction, flags: Flags, source: Image.Image | None = None):
        file = it.option_file("image")
        link = it.options().get("link")
        data = file.data if file else None
        if data is None and isinstance(link, str):
            stored = self.core.cdn.resolve_url(link)
            data = stored.data if stored else None
        image = source or (images.decode(data) if data else None)
        if image is None:
            self.error(it, "invalid_link")
            return
        if not self.account_gate(it, relaxed=True):
            return
        start = self._interaction_reply_start(it)
        await self.core.speed.pause(self.core.speed.quick_delay * 2)
        prompts = describe_prompts(image, f"{self.core.seed}/{start['id']}")
        png = images.encode_png(image)
        stored_image = self.core.store_file(
            it.channel_id, "describe.png", png, "image/png", image.size, ephemeral=True
        )
        picture = {
            "url": stored_image["url"],
            "proxy_url": stored_image["proxy_url"],
            "width": image.width,
            "height": image.height,
        }
        result = embed(None, describe_text(prompts), DESCRIBE_COLOUR, image=picture)
        self.prompt_lists[start["id"]] = prompts
        self.describe_sources[start["id"]] = image
        self._finish_reply(it, start, result, describe_components())

    async def shorten(self, it: Interaction, flags: Flags) -> None:
        prompt = parse_prompt(str(it.options().get("prompt", "")))
        if not prompt.text:
            self.error(it, "empty_prompt")
            return
        start = self._interaction_reply_start(it)
        await self.core.speed.pause(self.core.speed.quick_delay)
        prompts, analysis = shorten_prompts(prompt.text)
        footer = {"text": "Click on a button to imagine one of the shortened prompts"}
        result = embed(None, shorten_text(prompts, analysis), DESCRIBE_COLOUR, footer=footer)
        self.prompt_lists[start["id"]] = prompts
        self._finish_reply(it, start, result, shorten_components(len(prompts)))

    def _interaction_reply_start(self, it: Interaction) -> Json:
        """Describe/shorten: a deferred reply echoing the nonce, edited later with the result."""
        origin = it.origin()
        start = message(
            id=self.core.new_id(), type=20, channel_id=it.channel_id, guild_id=it.guild_id,
            author=MJ_BOT, mentions=[it.state.account.user()], application_id=MJ_APPLICATION_ID,
            nonce=it.nonce, interaction=origin.interaction(),
            interaction_metadata=origin.metadata(named=True), webhook_id=MJ_APPLICATION_ID,
        )  # fmt: skip
        return Emitter(self.core).create(start, it.user_id)

    def _finish_reply(self, it: Interaction, start: Json, result: Json, components: list) -> None:
        done = {key: value for key, value in start.items() if key not in ("nonce", "webhook_id")}
        done.update(
            embeds=[result],
            components=components,
            edited_timestamp=snowflake_timestamp(self.core.new_id()),
        )
        Emitter(self.core).update(done, it.user_id)

    def upscale_buttons(self, tile: tuple[int, int]) -> Any:
        square = tile[0] == tile[1]
        return lambda job_hash: upscale_components(job_hash, square)
