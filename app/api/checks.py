"""What a request's content must pass before anything is written (besides each dialect's own
field checks): text PostgreSQL can store, and no banned word in a prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.domain.banned import BannedWords, parse_word_list
from app.domain.errors import CommandError, ErrorKind
from app.domain.task import Task
from db.tasks import storable


def ensure_storable(value: Any, where: str = "request") -> None:
    """Refuse text PostgreSQL cannot keep (NUL, unpaired surrogates) before anything is written."""
    if isinstance(value, str):
        if not storable(value):
            raise CommandError(
                ErrorKind.INVALID,
                f"{where} holds characters that cannot be stored (NUL or bad UTF-8)",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            ensure_storable(key, where)
            ensure_storable(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            ensure_storable(item, where)


def ensure_task_storable(task: Task) -> None:
    for name in ("prompt", "notify_url", "client_state", "client_data", "params", "inputs"):
        ensure_storable(getattr(task, name), name)


class BannedWordSource:
    """Words from the setting plus the file, the file re-read when it changes."""

    def __init__(self, words: tuple[str, ...], path: Path | None) -> None:
        self._words, self._path = words, path
        self._stamp: float | None = None
        self._matcher = BannedWords(words)

    def current(self) -> BannedWords:
        if self._path is None:
            return self._matcher
        try:
            stamp = self._path.stat().st_mtime
        except OSError:
            return self._matcher
        if stamp != self._stamp:
            text = self._path.read_text(encoding="utf-8", errors="replace")
            self._matcher = BannedWords([*self._words, *parse_word_list(text)])
            self._stamp = stamp
        return self._matcher
