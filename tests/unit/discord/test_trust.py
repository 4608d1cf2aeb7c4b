"""Only the bots are believed: other bots, webhooks and link previews change nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from app.discord.constants import (
    MJ_APPLICATION_ID,
    NIJI_APPLICATION_ID,
    PIKA_APPLICATION_ID,
    TRUSTED_BOT_IDS,
)
from app.discord.correlation import Correlator
from app.discord.events import AccountError, Described, JobProgress, JobStarted, Unknown
from app.discord.parse import parse_dispatch

IMPOSTOR = {"id": "1300000000000009999", "username": "Midjourney Bot", "bot": True}
WEBHOOK = {"id": "1300000000000008888", "username": "Midjourney Bot", "bot": True}


def _blocked(spec_fixture: Callable[..., Any], author: dict[str, Any] | None) -> dict[str, Any]:
    d = copy.deepcopy(spec_fixture("mj-error-banned.message_create.json", "d"))
    d["embeds"][0]["title"] = "Blocked"
    d["embeds"][0]["description"] = "You have been blocked from accessing Midjourney."
    d.pop("nonce", None)
    if author is None:
        d.pop("author")
    else:
        d["author"] = author
    return d


def _described(spec_fixture: Callable[..., Any], author: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(spec_fixture("mj-describe-done.message_update.json", "d"))
    d["author"] = author
    d["embeds"][0]["image"]["url"] = "https://evil.example/x.svg"
    return d


def test_the_known_bots_are_trusted_by_default() -> None:
    assert MJ_APPLICATION_ID == "936929561302675456"
    assert NIJI_APPLICATION_ID == "1022952195194359889"
    assert set(TRUSTED_BOT_IDS) == {MJ_APPLICATION_ID, NIJI_APPLICATION_ID, PIKA_APPLICATION_ID}


@pytest.mark.parametrize("event_type", ["MESSAGE_CREATE", "MESSAGE_UPDATE"])
def test_a_blocked_embed_counts_only_from_a_trusted_bot(
    spec_fixture: Callable[..., Any], event_type: str
) -> None:
    real = parse_dispatch(event_type, _blocked(spec_fixture, {"id": MJ_APPLICATION_ID}))
    assert isinstance(real, AccountError)  # the control: the same message from Midjourney
    niji = parse_dispatch(event_type, _blocked(spec_fixture, {"id": NIJI_APPLICATION_ID}))
    assert isinstance(niji, AccountError)
    for author in (IMPOSTOR, {**WEBHOOK, "webhook_id": WEBHOOK["id"]}):
        event = parse_dispatch(event_type, _blocked(spec_fixture, author))
        assert isinstance(event, Unknown) and event.reason == "not from a followed bot"
    webhook = {**_blocked(spec_fixture, WEBHOOK), "webhook_id": WEBHOOK["id"]}
    assert isinstance(parse_dispatch(event_type, webhook), Unknown)


def test_a_partial_update_is_never_an_account_error(spec_fixture: Callable[..., Any]) -> None:
    """A link preview on anyone's message arrives as an author-less MESSAGE_UPDATE."""
    event = parse_dispatch("MESSAGE_UPDATE", _blocked(spec_fixture, None))
    assert isinstance(event, Unknown) and "unknown author" in event.reason


def test_a_described_embed_counts_only_from_a_trusted_bot(
    spec_fixture: Callable[..., Any],
) -> None:
    real = parse_dispatch("MESSAGE_UPDATE", _described(spec_fixture, {"id": MJ_APPLICATION_ID}))
    assert isinstance(real, Described) and real.image_url == "https://evil.example/x.svg"
    for event_type in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
        fake = parse_dispatch(event_type, _described(spec_fixture, IMPOSTOR))
        assert isinstance(fake, Unknown)


def test_bot_ids_are_configurable(spec_fixture: Callable[..., Any]) -> None:
    d = _blocked(spec_fixture, {"id": "42", "bot": True})
    assert isinstance(parse_dispatch("MESSAGE_CREATE", d), Unknown)
    assert isinstance(parse_dispatch("MESSAGE_CREATE", d, bot_ids={"42"}), AccountError)
    mj = _blocked(spec_fixture, {"id": MJ_APPLICATION_ID})
    assert isinstance(parse_dispatch("MESSAGE_CREATE", mj, bot_ids={"42"}), Unknown)


def test_an_author_less_update_joins_a_task_by_a_trusted_message_id_only() -> None:
    correlator = Correlator()
    correlator.track("t", nonce="1", now=1.0, prompt="a quiet harbour at dawn")
    partial = {"id": "m-1", "channel_id": "c", "content": "**a quiet harbour at dawn** - (50%)"}
    first = parse_dispatch("MESSAGE_UPDATE", partial)
    assert isinstance(first, JobProgress) and first.meta.author_known is False
    assert correlator.observe(first) is None  # the prompt alone proves nothing
    start = parse_dispatch(
        "MESSAGE_CREATE",
        {
            "id": "m-1",
            "channel_id": "c",
            "nonce": "1",
            "author": {"id": MJ_APPLICATION_ID},
            "content": "**a quiet harbour at dawn** - <@1> (Waiting to start)",
        },
    )
    assert isinstance(start, JobStarted) and correlator.observe(start) == "t"
    assert correlator.observe(parse_dispatch("MESSAGE_UPDATE", partial)) == "t"


def test_the_bot_ids_setting() -> None:
    from app.config import load_settings
    from app.errors import SettingsError

    assert load_settings({}).discord_bot_ids == TRUSTED_BOT_IDS
    chosen = load_settings({"MJRELAY_DISCORD_BOT_IDS": " 936929561302675456, 1090660574196674713 "})
    assert chosen.discord_bot_ids == ("936929561302675456", "1090660574196674713")
    for bad in ("", " , ", "midjourney", "12", "936929561302675456,x"):
        with pytest.raises(SettingsError, match="MJRELAY_DISCORD_BOT_IDS"):
            load_settings({"MJRELAY_DISCORD_BOT_IDS": bad})
