"""How much the sandbox remembers, so a long `mjrelay up` holds steady instead of growing per job.

Real Discord forgets too, as far as a client can tell: attachment links expire, a very old
message is far back in history, a bot no longer answers buttons of a long-finished job. Each store
keeps its most recent entries up to the bound below and drops the oldest first. Pure: no I/O.
"""

from __future__ import annotations

from typing import TypeVar

CDN_MAX_BYTES = 128 * 1024 * 1024  # attachments served; evicted ones answer 404 like expired ones
MESSAGES_PER_CHANNEL = 1_000  # channel history (the worker's crash-recovery reads far fewer)
EPHEMERAL_MESSAGES = 1_000  # "only you can see this" messages, over all users
BOT_RESULTS = 2_000  # finished jobs a bot still answers buttons for (per bot)
BOT_RECORDS = 2_000  # other per-job bot records (describe prompt lists, Pika videos, editors)
SUBMISSIONS = 10_000  # the record of `POST /interactions` received (tests inspect it)

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(dict[K, V]):
    """A dict holding at most `limit` keys: a new key past that drops the oldest-inserted one."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]
