"""Tying bot events back to the task that caused them (spec §3.8). Pure bookkeeping.

Keys, strongest first: nonce → interaction id → message id (progress/start message) →
(parent message, index) for upscales → reply-to-progress → job hash → normalised prompt.
The prompt fallback exists because the final message carries no nonce and the bot rewrites the
prompt (whitespace, `—` → `--`, links → `<https://s.mj.run/…>`, default params, truncation).

Adopted jobs (taken over after a crash, see `Correlator.adopt`) are seeded with every key the
task row kept. The replayed history also holds messages of tasks that already ended: their keys
are `settle`d, so those messages match nothing. The prompt fallback then picks an adopted job
only when it is the one candidate: with identical prompts in flight a guess could swap results,
and the task ends by its timeout instead.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.discord.events import (
    TERMINAL_EVENTS,
    BotEvent,
    IframeModalOpened,
    InteractionCreated,
    InteractionFailed,
    InteractionSucceeded,
    JobFinished,
    JobProgress,
    MessageDeleted,
    MessageEvent,
    ModalOpened,
)

# ---------------------------------------------------------------------------- prompts

SETTLED_MAX = 20_000  # ended tasks' keys remembered (a replay brings at most a few hundred)
_URL = re.compile(r"<?https?://[^\s>]+>?")
_DASH = re.compile(r"[\u2014\u2013\u2012\u2212](?=\w)")  # — – ‒ − before a parameter name
_PARAMS = re.compile(r"\s--?[a-z].*$", re.S | re.I)
_ELLIPSIS = re.compile(r"(\u2026|\.\.\.)\s*$")
_MIN_PREFIX = 16


def normalize_prompt(prompt: str) -> str:
    """The prompt as the bot would echo it, modulo link shortening and spacing."""
    text = _DASH.sub("--", prompt)
    text = _URL.sub("<link>", text)
    return " ".join(text.split())


def prompt_key(prompt: str) -> str:
    """Primary prompt for matching: no params, no links' targets, no whitespace, casefolded."""
    text = _ELLIPSIS.sub("", normalize_prompt(prompt))
    text = _PARAMS.sub("", " " + text)
    return "".join(text.split()).casefold()


def prompts_match(submitted: str, echoed: str) -> bool:
    """Whether the bot's echo `echoed` is the prompt we `submitted` (truncation tolerated)."""
    a, b = prompt_key(submitted), prompt_key(echoed)
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= _MIN_PREFIX and long_.startswith(short)


# ---------------------------------------------------------------------------- correlator


@dataclass
class TrackedJob:
    key: str
    submitted_at: float
    prompt: str | None = None
    parent_message_id: str | None = None
    index: int | None = None
    nonces: set[str] = field(default_factory=set)
    interaction_ids: set[str] = field(default_factory=set)
    message_ids: set[str] = field(default_factory=set)
    job_hash: str | None = None
    done: bool = False
    # Taken over from a crashed owner: the prompt fallback may not guess for it.
    adopted: bool = False
    # The interaction most recently learned (for the task row; `interaction_ids` is unordered).
    last_interaction_id: str | None = None


class Correlator:
    """Maps events to task keys; the worker calls `track` before sending each interaction."""

    def __init__(self) -> None:
        self._jobs: dict[str, TrackedJob] = {}
        # Interaction ids, message ids and job hashes of tasks that already ended, oldest first
        # (a dict as an ordered set): each new gateway session's replay adds some, so only the
        # newest SETTLED_MAX are kept, far more than one replay of recent messages brings.
        self._settled: dict[str, None] = {}

    def settle(self, keys: Iterable[str | None]) -> None:
        """Keys of tasks that ended (before a takeover): their replayed messages match nothing."""
        for key in keys:
            if key:
                self._settled.pop(key, None)
                self._settled[key] = None
        excess = max(0, len(self._settled) - SETTLED_MAX)
        for oldest in list(itertools.islice(self._settled, excess)):
            del self._settled[oldest]

    @property
    def settled_count(self) -> int:
        return len(self._settled)

    def track(
        self,
        key: str,
        *,
        nonce: str,
        now: float,
        prompt: str | None = None,
        parent_message_id: str | None = None,
        index: int | None = None,
    ) -> TrackedJob:
        job = self._jobs.get(key) or TrackedJob(key=key, submitted_at=now)
        job.nonces.add(nonce)
        job.prompt = prompt if prompt is not None else job.prompt
        job.parent_message_id = parent_message_id or job.parent_message_id
        job.index = index if index is not None else job.index
        job.done = False
        self._jobs[key] = job
        return job

    def adopt(
        self,
        key: str,
        *,
        nonce: str,
        now: float,
        prompt: str | None = None,
        parent_message_id: str | None = None,
        interaction_id: str | None = None,
        message_id: str | None = None,
        job_hash: str | None = None,
    ) -> TrackedJob:
        """Track a job another owner sent, with the keys it recorded, so replays match exactly.

        A job already tracked (a new gateway session re-seeds its own jobs) keeps what it learned.
        """
        known = self._jobs.get(key)
        done = known is not None and known.done
        job = self.track(
            key, nonce=nonce, now=now, prompt=prompt, parent_message_id=parent_message_id
        )
        job.done = done
        job.adopted = True
        if interaction_id:
            job.interaction_ids.add(interaction_id)
            job.last_interaction_id = interaction_id
        if message_id:
            job.message_ids.add(message_id)
        job.job_hash = job_hash or job.job_hash
        return job

    def forget(self, key: str) -> None:
        self._jobs.pop(key, None)

    def get(self, key: str) -> TrackedJob | None:
        return self._jobs.get(key)

    def observe(self, event: BotEvent) -> str | None:
        """The task key `event` belongs to (recording what it teaches us), or None."""
        job = self._match(event)
        if job is None:
            return None
        self._learn(job, event)
        return job.key

    def _match(self, event: BotEvent) -> TrackedJob | None:
        if isinstance(
            event,
            (
                InteractionCreated,
                InteractionSucceeded,
                InteractionFailed,
                ModalOpened,
                IframeModalOpened,
            ),
        ):
            return self._by_nonce(event.nonce) or self._find(
                lambda j: event.interaction_id in j.interaction_ids
            )
        if isinstance(event, MessageDeleted):
            return self._find(lambda j: event.message_id in j.message_ids)
        if isinstance(event, MessageEvent):
            return self._match_message(event)
        return None

    def _match_message(self, event: MessageEvent) -> TrackedJob | None:
        meta = event.meta
        if not meta.author_known:
            # An author-less (partial) update may be about anyone's message: only a message id
            # learned from a trusted bot's message ties it to a task.
            return self._find(lambda j: meta.message_id in j.message_ids)
        exact = (
            self._by_nonce(meta.nonce)
            or self._find(lambda j: meta.interaction_id in j.interaction_ids)
            or self._find(lambda j: meta.message_id in j.message_ids)
        )
        if exact is not None:
            return exact
        index = event.index if isinstance(event, JobFinished) else None
        ref = meta.reference_message_id
        job_hash = event.job_hash if isinstance(event, (JobProgress, JobFinished)) else None
        if self._settled and not self._settled.keys().isdisjoint(
            k for k in (meta.interaction_id, meta.message_id, job_hash) if k
        ):
            return None  # a message of a task that already ended

        # A message naming an interaction can only belong to a job that has not learned its own
        # interaction yet: otherwise identical prompts would let one job claim another's result.
        def open_to(job: TrackedJob) -> bool:
            return meta.interaction_id is None or not job.interaction_ids

        return (
            self._find(
                lambda j: (
                    ref is not None
                    and j.parent_message_id == ref
                    and j.index == index
                    and open_to(j)
                ),
                pending=True,
            )
            or self._find(lambda j: ref is not None and ref in j.message_ids, pending=True)
            or self._find(
                lambda j: job_hash is not None and j.job_hash == job_hash and open_to(j),
                pending=True,
            )
            or self._by_prompt(event.prompt, open_to)
        )

    def _by_nonce(self, nonce: str | None) -> TrackedJob | None:
        return None if nonce is None else self._find(lambda j: nonce in j.nonces)

    def _by_prompt(
        self,
        prompt: str | None,
        eligible: Callable[[TrackedJob], bool] = lambda j: True,
    ) -> TrackedJob | None:
        if not prompt:
            return None
        candidates = [
            j
            for j in self._jobs.values()
            if not j.done and j.prompt and eligible(j) and prompts_match(j.prompt, prompt)
        ]
        if len(candidates) > 1 and any(j.adopted for j in candidates):
            # An adopted job's own first messages may have gone by while nobody listened, so
            # "earliest first" means nothing for it: any candidate may own this message. Left
            # unmatched, the task ends by its timeout with a reason, which is honest; a swapped
            # result is not. (Messages of tasks that already ended were settled above.)
            return None
        return min(candidates, key=lambda j: j.submitted_at, default=None)

    def _find(
        self, predicate: Callable[[TrackedJob], bool], *, pending: bool = False
    ) -> TrackedJob | None:
        for job in self._jobs.values():
            if (not pending or not job.done) and predicate(job):
                return job
        return None

    @staticmethod
    def _learn(job: TrackedJob, event: BotEvent) -> None:
        interaction_id = getattr(event, "interaction_id", None)
        if isinstance(interaction_id, str):
            job.interaction_ids.add(interaction_id)
            job.last_interaction_id = interaction_id
        if isinstance(event, MessageEvent):
            if event.meta.interaction_id:
                job.interaction_ids.add(event.meta.interaction_id)
                job.last_interaction_id = event.meta.interaction_id
            if event.meta.message_id and not isinstance(event, JobFinished):
                job.message_ids.add(event.meta.message_id)
            if isinstance(event, (JobProgress, JobFinished)) and event.job_hash:
                job.job_hash = job.job_hash or event.job_hash
        if isinstance(event, TERMINAL_EVENTS):
            job.done = True
