"""Which bot a new task goes to (app/domain/bots.py)."""

from __future__ import annotations

import pytest

from app.domain.actions import Action, Bot
from app.domain.bots import choose_bot, names_niji
from app.domain.commands import CreateTask, Passthrough


def _cmd(prompt: str, bot_type: str | None = None, bot: Bot = Bot.MJ) -> CreateTask:
    return CreateTask(
        dialect="novicezk",
        action=Action.IMAGINE,
        prompt=prompt,
        bot=bot,
        extra=Passthrough(bot_type=bot_type),
    )


@pytest.mark.parametrize(
    ("prompt", "named"),
    [
        ("a fox --niji 6", True),
        ("--niji", True),
        ("a fox --NIJI", True),
        ("a --nijiish", False),
        ("a fox", False),
        ("a-niji fox", False),
    ],
)
def test_names_niji(prompt: str, named: bool) -> None:
    assert names_niji(prompt) is named


def test_bot_type_niji_chooses_niji_whatever_the_setting() -> None:
    chosen = choose_bot(_cmd("a fox", "NIJI_JOURNEY"), niji_from_prompt=False)
    assert chosen.bot == Bot.NIJI and chosen.extra.bot_type == "NIJI_JOURNEY"


def test_a_niji_prompt_goes_to_niji_only_with_the_setting() -> None:
    assert choose_bot(_cmd("a fox --niji 6"), niji_from_prompt=False).bot == Bot.MJ
    routed = choose_bot(_cmd("a fox --niji 6"), niji_from_prompt=True)
    assert routed.bot == Bot.NIJI and routed.extra.bot_type == "NIJI_JOURNEY"


def test_an_explicit_midjourney_bot_type_wins_over_the_prompt() -> None:
    assert choose_bot(_cmd("a --niji", "MID_JOURNEY"), niji_from_prompt=True).bot == Bot.MJ


def test_pika_stays_pika() -> None:
    pika = _cmd("a --niji", "NIJI_JOURNEY", bot=Bot.PIKA)
    assert choose_bot(pika, niji_from_prompt=True) is pika
