"""Gateway dispatch → typed bot event. Pure; never raises (spec §1.7, §3, §4).

`parse_dispatch(t, d)` returns exactly one `BotEvent`. Anything we do not understand becomes
`Unknown` with a reason: a malformed payload from Discord must never kill a gateway connection.

Message rules, in order (first match wins):
1. author is not one of the trusted bots                → Unknown
   (`bot_ids`, default `TRUSTED_BOT_IDS`; `author.bot` proves nothing: any bot or webhook in the
   channel sets it. A partial MESSAGE_UPDATE carries no author: it is parsed with
   `meta.author_known = False`, can never be an account error, and the correlator ties it to a task
   only through a message id a trusted message taught it.)
2. a reply about the account (`/info`'s "Your info", the `/settings` panel, `Done!` of
   `/fast` `/relax` `/turbo`, `/prefer remix`)             → AccountStateRead
3. embed: `Job queued` → JobQueued; error title → TaskError/AccountError;
   keycap list on a describe/shorten message → Described/Shortened; other titled embed → BotNotice
4. content starting `Failed`                             → TaskError(command_failed)
5. content status `(Stopped)`                            → TaskError(stopped)
6. content status `(Waiting to start)`, or a nonce-echoing CREATE without media → JobStarted
7. content with `(NN%)`                                  → JobProgress
8. MESSAGE_CREATE with an image/video attachment         → JobFinished
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from app.discord import account_info, bot_errors, content
from app.discord.constants import TRUSTED_BOT_IDS
from app.discord.embeds import classify_embed
from app.discord.events import (
    AccountError,
    AccountErrorKind,
    AccountStateRead,
    BotEvent,
    IframeModalOpened,
    InteractionCreated,
    InteractionFailed,
    InteractionSucceeded,
    JobFinished,
    JobProgress,
    JobStarted,
    MessageDeleted,
    MessageMeta,
    ModalField,
    ModalOpened,
    TaskError,
    TaskErrorKind,
    Unknown,
)
from app.discord.payload import as_dict, as_list, opt_int, opt_str, required_str

IFRAME_PREFIX = "MJ::iframe::"


def parse_dispatch(
    event_type: str, data: Any, *, bot_ids: Collection[str] | None = None
) -> BotEvent:
    """Classify one dispatch. Messages count only from `bot_ids` (default `TRUSTED_BOT_IDS`)."""
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return Unknown(event_type=event_type, reason="unhandled event type")
    if not isinstance(data, dict):
        return Unknown(event_type=event_type, reason="payload is not an object")
    try:
        return handler(event_type, data, TRUSTED_BOT_IDS if bot_ids is None else bot_ids)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Unknown(event_type=event_type, reason=f"malformed payload ({type(exc).__name__})")


# ---------------------------------------------------------------------------- interactions


def _interaction(t: str, d: dict[str, Any], _: Collection[str]) -> BotEvent:
    interaction_id, nonce = required_str(d, "id"), opt_str(d.get("nonce"))
    if t == "INTERACTION_CREATE":
        return InteractionCreated(interaction_id=interaction_id, nonce=nonce)
    if t == "INTERACTION_SUCCESS":
        return InteractionSucceeded(interaction_id=interaction_id, nonce=nonce)
    reason = d.get("reason_code")
    return InteractionFailed(
        interaction_id=interaction_id,
        nonce=nonce,
        reason_code=reason if isinstance(reason, int) else None,
    )


def _modal(t: str, d: dict[str, Any], _: Collection[str]) -> BotEvent:
    fields = tuple(
        ModalField(
            custom_id=str(child["custom_id"]),
            value=opt_str(child.get("value")),
            label=opt_str(child.get("label")),
        )
        for row in as_list(d.get("components"))
        for child in as_list(row.get("components") if isinstance(row, dict) else None)
        if isinstance(child, dict) and child.get("type") == 4
    )
    return ModalOpened(
        interaction_id=required_str(d, "id"),
        nonce=opt_str(d.get("nonce")),
        channel_id=opt_str(d.get("channel_id")),
        custom_id=required_str(d, "custom_id"),
        title=opt_str(d.get("title")),
        fields=fields,
        application_id=_application_id(d),
    )


def _iframe_modal(t: str, d: dict[str, Any], _: Collection[str]) -> BotEvent:
    custom_id = required_str(d, "custom_id")
    title, path = opt_str(d.get("title")), opt_str(d.get("iframe_path"))
    nonce, interaction_id = opt_str(d.get("nonce")), required_str(d, "id")
    if bot_errors.is_captcha_iframe(title, path):
        meta = MessageMeta(
            message_id=None,
            channel_id=opt_str(d.get("channel_id")),
            nonce=nonce,
            interaction_id=interaction_id,
        )
        return AccountError(
            meta=meta, kind=AccountErrorKind.CAPTCHA, title=title, reason="captcha required"
        )
    return IframeModalOpened(
        interaction_id=interaction_id,
        nonce=nonce,
        channel_id=opt_str(d.get("channel_id")),
        custom_id=custom_id,
        token=custom_id.removeprefix(IFRAME_PREFIX),
        title=title,
        iframe_path=path,
        application_id=_application_id(d),
    )


# ---------------------------------------------------------------------------- messages


def _message_delete(t: str, d: dict[str, Any], _: Collection[str]) -> BotEvent:
    return MessageDeleted(message_id=required_str(d, "id"), channel_id=opt_str(d.get("channel_id")))


def _message(t: str, d: dict[str, Any], bot_ids: Collection[str]) -> BotEvent:
    meta = message_meta(d)
    if not _from_bot(d, bot_ids, partial_ok=t == "MESSAGE_UPDATE"):
        return Unknown(event_type=t, reason="not from a followed bot", meta=meta)
    event = _message_event(t, d, meta)
    if isinstance(event, AccountError | AccountStateRead) and not meta.author_known:
        # A link preview added to anyone's message arrives like this: never trust it that far.
        return Unknown(event_type=t, reason="account reply from an unknown author", meta=meta)
    return event


def _message_event(t: str, d: dict[str, Any], meta: MessageMeta) -> BotEvent:
    created = t == "MESSAGE_CREATE"
    embeds = [e for e in as_list(d.get("embeds")) if isinstance(e, dict)]
    state = _account_state(d, meta, embeds)
    if state is not None:
        return state
    if embeds:
        event = classify_embed(meta, embeds[0], d)
        if event is not None:
            return event
    text = str(d.get("content") or "")
    parsed = content.parse_content(text)
    if bot_errors.is_failure_content(text):
        return TaskError(
            meta=meta, kind=TaskErrorKind.COMMAND_FAILED, title=None, reason=text.strip()
        )
    if parsed.stopped:
        return TaskError(
            meta=meta,
            prompt=parsed.prompt,
            kind=TaskErrorKind.STOPPED,
            title=None,
            reason="job stopped",
        )
    attachment = content.first_attachment(d)
    if parsed.waiting or (created and meta.nonce and attachment is None):
        return JobStarted(meta=meta, prompt=parsed.prompt, action_label=parsed.action_label)
    if parsed.percent is not None:
        return JobProgress(
            meta=meta,
            prompt=parsed.prompt,
            percent=parsed.percent,
            preview_url=opt_str(attachment.get("url")) if attachment else None,
            job_hash=content.job_hash(d),
            mode=parsed.mode,
        )
    if created and attachment is not None:
        return _finished(meta, d, attachment, parsed)
    reason = "update of a posted message" if attachment else "unrecognised bot message"
    return Unknown(event_type=t, reason=reason, meta=meta)


def _finished(
    meta: MessageMeta, d: dict[str, Any], attachment: dict[str, Any], parsed: content.ParsedContent
) -> JobFinished:
    url = opt_str(attachment.get("url"))
    video = content.is_video(attachment)
    components = d.get("components")
    return JobFinished(
        meta=meta,
        prompt=parsed.prompt,
        image_url=None if video else url,
        video_url=url if video else None,
        proxy_url=opt_str(attachment.get("proxy_url")),
        filename=opt_str(attachment.get("filename")),
        width=opt_int(attachment.get("width")),
        height=opt_int(attachment.get("height")),
        job_hash=content.job_hash(d),
        action_label=parsed.action_label,
        index=parsed.image_index,
        mode=parsed.mode,
        buttons=content.buttons_of(components),
        components=tuple(as_list(components)),
    )


def _account_state(
    d: dict[str, Any], meta: MessageMeta, embeds: list[dict[str, Any]]
) -> AccountStateRead | None:
    """A reply about the account itself (`/info`, `/settings`, `/fast`…, `/prefer remix`)."""
    name, text = meta.interaction_name, str(d.get("content") or "")
    title = (opt_str(embeds[0].get("title")) or "").strip().lower() if embeds else ""
    if title == account_info.INFO_TITLE:
        reading = account_info.parse_info(opt_str(embeds[0].get("description")) or "")
        return AccountStateRead(meta=meta, source="info", reading=reading)
    if name == "settings":
        panel = account_info.parse_settings(d.get("components"))
        return AccountStateRead(meta=meta, source="settings", reading=panel) if panel else None
    mode = account_info.mode_switched(name, text)
    if mode is not None:
        reading = account_info.AccountReading(job_mode=mode)
        return AccountStateRead(meta=meta, source=mode, reading=reading)
    remix = account_info.remix_toggled(name, text)
    if remix is not None:
        reading = account_info.AccountReading(remix=remix)
        return AccountStateRead(meta=meta, source="remix", reading=reading)
    return None


def message_meta(d: dict[str, Any]) -> MessageMeta:
    """Correlation keys of a message payload (also used by REST reconciliation)."""
    interaction, metadata = (
        as_dict(d.get("interaction")),
        as_dict(d.get("interaction_metadata")),
    )
    reference, author = (
        as_dict(d.get("message_reference")),
        as_dict(d.get("author")),
    )
    return MessageMeta(
        message_id=required_str(d, "id"),
        channel_id=opt_str(d.get("channel_id")),
        guild_id=opt_str(d.get("guild_id")),
        author_id=opt_str(author.get("id")),
        nonce=opt_str(d.get("nonce")),
        interaction_id=opt_str(metadata.get("id")) or opt_str(interaction.get("id")),
        interaction_name=opt_str(interaction.get("name")) or opt_str(metadata.get("name")),
        reference_message_id=opt_str(reference.get("message_id")),
        flags=opt_int(d.get("flags")) or 0,
        author_known="author" in d,
    )


def _from_bot(d: dict[str, Any], bot_ids: Collection[str], *, partial_ok: bool) -> bool:
    author = d.get("author")
    if author is None:
        return partial_ok  # partial MESSAGE_UPDATEs carry no author (spec §1.7)
    return isinstance(author, dict) and opt_str(author.get("id")) in bot_ids


def _application_id(d: dict[str, Any]) -> str | None:
    application = d.get("application")
    return opt_str(application.get("id")) if isinstance(application, dict) else None


_Handler = Callable[[str, dict[str, Any], Collection[str]], BotEvent]
_HANDLERS: dict[str, _Handler] = {
    "MESSAGE_CREATE": _message,
    "MESSAGE_UPDATE": _message,
    "MESSAGE_DELETE": _message_delete,
    "INTERACTION_CREATE": _interaction,
    "INTERACTION_SUCCESS": _interaction,
    "INTERACTION_FAILURE": _interaction,
    "INTERACTION_MODAL_CREATE": _modal,
    "INTERACTION_IFRAME_MODAL_CREATE": _iframe_modal,
}
