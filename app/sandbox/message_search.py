"""Message search (`GET /guilds/{id}/messages/search`): the query and what it matches. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
HAS_VALUES = frozenset({"attachment", "embed", "image", "file"})


@dataclass(frozen=True)
class SearchQuery:
    content: str = ""  # case-insensitive substring
    author_ids: frozenset[str] = frozenset()
    mentions: frozenset[str] = frozenset()
    has: frozenset[str] = frozenset()  # attachment | embed | image | file
    min_id: int | None = None
    max_id: int | None = None
    newest_first: bool = True
    channel_ids: list[str] = field(default_factory=list)

    def matches(self, message: Json) -> bool:
        checks = (
            not self.content or self.content.lower() in message["content"].lower(),
            not self.author_ids or message["author"]["id"] in self.author_ids,
            not self.mentions or bool(self.mentions & {u["id"] for u in message["mentions"]}),
            not self.has & {"attachment", "image", "file"} or bool(message["attachments"]),
            "embed" not in self.has or bool(message["embeds"]),
            self.min_id is None or int(message["id"]) > self.min_id,
            self.max_id is None or int(message["id"]) < self.max_id,
        )
        return all(checks)

    def run(self, messages: list[Json]) -> list[Json]:
        hits = [m for m in messages if self.matches(m)]
        return sorted(hits, key=lambda m: int(m["id"]), reverse=self.newest_first)
