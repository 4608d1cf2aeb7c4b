"""Is a task's new callback body worth a callback? (pure; docs/callbacks.md "Which changes …")

A receiver wants to hear when the task changes as its dialect shows it: the status, the progress,
a preview or result (image, video, buttons, text), a failure. Every state change re-renders the
body, but some changes alter only bookkeeping in it: timestamps (`startTime` is set when an
account takes the task) and Discord correlation (nonce, message ids, the account or channel id,
the bot's final prompt). Such a body is not sent on its own; what it carries arrives with the
next callback, which always holds the whole current body. A final state is always sent.
"""

from __future__ import annotations

import json
from typing import Any

# Keys, at any depth of objects (novicezk `properties`, Discordxy `result`), whose change alone
# does not make a callback.
BOOKKEEPING = frozenset(
    {
        "submitTime",
        "startTime",
        "finishTime",
        "nonce",
        "messageId",
        "messageHash",
        "progressMessageId",
        "referenceMessageId",
        "referencedMessageId",
        "discordInstanceId",
        "discordChannelId",
        "discordId",
        "channelId",
        "finalPrompt",
        "flags",
    }
)


def _visible(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _visible(v) for k, v in value.items() if k not in BOOKKEEPING}
    return value


def shows_a_change(previous: bytes | None, body: bytes) -> bool:
    """Whether `body` differs from the `previous` callback body in more than bookkeeping."""
    if previous is None:
        return True
    if previous == body:
        return False
    try:
        return _visible(json.loads(previous)) != _visible(json.loads(body))
    except ValueError:  # not JSON (cannot happen with our renderers): compare bytes only
        return True
