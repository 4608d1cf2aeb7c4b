"""Message search filters and history's before/after/around (pure)."""

from __future__ import annotations

from typing import Any

from app.sandbox.message_search import SearchQuery
from app.sandbox.store import MessageStore


def _message(id: int, content: str, author: str = "1", **extra: object) -> dict:
    base = {"id": str(id), "channel_id": "9", "content": content, "author": {"id": author},
            "mentions": [], "attachments": [], "embeds": []}  # fmt: skip
    return base | extra


def test_every_filter_narrows_and_results_sort_newest_first_unless_asc() -> None:
    messages = [
        _message(10, "A red fox", author="1"),
        _message(11, "a blue fox", author="2", attachments=[{"id": "a"}]),
        _message(12, "an owl", author="2", embeds=[{"type": "rich"}], mentions=[{"id": "7"}]),
    ]

    def ids(query: SearchQuery) -> list[str]:
        return [m["id"] for m in query.run(messages)]

    assert ids(SearchQuery(content="FOX")) == ["11", "10"]
    assert ids(SearchQuery(content="fox", newest_first=False)) == ["10", "11"]
    assert ids(SearchQuery(author_ids=frozenset({"2"}))) == ["12", "11"]
    assert ids(SearchQuery(has=frozenset({"attachment"}))) == ["11"]
    assert ids(SearchQuery(has=frozenset({"embed"}))) == ["12"]
    assert ids(SearchQuery(mentions=frozenset({"7"}))) == ["12"]
    assert ids(SearchQuery(min_id=10, max_id=12)) == ["11"]
    assert ids(SearchQuery(content="cat")) == []


def test_history_around_keeps_half_older_then_the_message_and_newer() -> None:
    store = MessageStore()
    for id in range(1, 8):
        store.put(_message(id, f"m{id}"))

    def page(**options: Any) -> list[str]:
        return [m["id"] for m in store.history("9", **options)]

    assert page(limit=4, around="4") == ["5", "4", "3", "2"]
    assert page(limit=5, around="4") == ["6", "5", "4", "3", "2"]
    assert page(limit=1, around="4") == ["4"]
    assert page(limit=3, around="1") == ["2", "1"]
    assert page(limit=2, around="4", before="2") == ["4", "3"]  # around wins
    assert page(limit=2, before="4") == ["3", "2"]
    assert page(limit=2, after="4") == ["6", "5"]
