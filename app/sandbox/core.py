"""The sandbox assembled: each part built once and handed only the narrow pieces it needs.

REST and the server read the parts below; the bots see `services` through `context.BotContext`.
"""

from __future__ import annotations

import hashlib
import random
from collections import deque

from app.sandbox.accounts import AccountDirectory, SandboxAccount, make_accounts
from app.sandbox.bounds import SUBMISSIONS
from app.sandbox.cdn import Cdn
from app.sandbox.context import Bot
from app.sandbox.faults import Faults
from app.sandbox.gateway import Gateway
from app.sandbox.messages import MJ_APPLICATION_ID, NIJI, NIJI_APPLICATION_ID, PIKA_APPLICATION_ID
from app.sandbox.midjourney import MidjourneyBot
from app.sandbox.mj_profile import PLAN_FAST_HOURS
from app.sandbox.pika import PikaBot
from app.sandbox.ratelimit import RateLimiter
from app.sandbox.services import SandboxServices
from app.sandbox.speed import Speed
from app.sandbox.store import EditorRequest, MessageStore, Submissions, Uploads


class SandboxCore:
    def __init__(
        self,
        *,
        accounts: int,
        speed: Speed,
        seed: int,
        concurrency: int = 3,
        queue_size: int = 10,
        heartbeat_interval_ms: int = 41250,
        rate_limit: int = 50,
        fast_hours: float = PLAN_FAST_HOURS,
    ) -> None:
        self.speed = speed
        rng = random.Random(f"mjrelay-sandbox/{seed}")
        self.directory = AccountDirectory(make_accounts(accounts, seed), concurrency, queue_size)
        for state in self.directory.states.values():
            state.usage.fast_total_minutes = state.usage.fast_left_minutes = fast_hours * 60
        self.cdn = Cdn(hashlib.sha256(f"cdn/{seed}/{rng.random()}".encode()).digest())
        self.messages = MessageStore()
        self.uploads = Uploads()
        self.submissions = Submissions()
        self.editor_requests: deque[EditorRequest] = deque(maxlen=SUBMISSIONS)
        self.faults = Faults()
        self.ratelimiter = RateLimiter(rate_limit, 1.0)
        self.gateway = Gateway(self.directory.authenticate, self.faults, heartbeat_interval_ms)
        self.services = SandboxServices(
            seed=seed, rng=rng, speed=speed, directory=self.directory, gateway=self.gateway,
            messages=self.messages, uploads=self.uploads, cdn=self.cdn, faults=self.faults,
        )  # fmt: skip
        self.fault_control = self.services.fault_control
        self.midjourney = MidjourneyBot(self.services)
        self.niji = MidjourneyBot(self.services, NIJI)
        self.pika = PikaBot(self.services)
        # The Midjourney-protocol bots (modals, the Vary (Region) editor) by application id.
        self.mj_bots = {MJ_APPLICATION_ID: self.midjourney, NIJI_APPLICATION_ID: self.niji}
        self.bots: dict[str, Bot] = {**self.mj_bots, PIKA_APPLICATION_ID: self.pika}
        self.base_url = ""

    @property
    def accounts(self) -> list[SandboxAccount]:
        return self.directory.accounts

    def set_base_url(self, base_url: str) -> None:
        self.base_url = base_url
        self.cdn.base_url = base_url
        self.gateway.public_url = base_url.replace("http://", "ws://", 1)

    async def aclose(self) -> None:
        await self.gateway.shutdown()
        await self.services.cancel_tasks()
