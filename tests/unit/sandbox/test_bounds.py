"""Each sandbox store keeps its newest entries up to a bound, dropping the oldest first."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from app.sandbox.bounds import BoundedDict
from app.sandbox.cdn import Cdn
from app.sandbox.store import MessageStore, Submission, Submissions


def _query(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_cdn_keeps_a_byte_budget_evicting_the_least_recently_used() -> None:
    cdn = Cdn(b"secret", clock=lambda: 1_000.0, max_bytes=250)
    urls = [cdn.put(f"/attachments/1/{i}/a.png", bytes([i]) * 100, "image/png") for i in range(2)]
    assert cdn.held_bytes == 200
    assert cdn.get(*_query(urls[0])) is not None  # served: now the most recently used
    third = cdn.put("/attachments/1/2/a.png", b"x" * 100, "image/png")
    assert cdn.held_bytes == 200 and len(cdn) == 2
    assert cdn.get(*_query(urls[1])) is None  # evicted: answers like an expired link
    assert cdn.get(*_query(urls[0])) is not None
    assert cdn.get(*_query(third)) is not None
    assert not cdn.holds("/attachments/1/1/a.png")


def test_cdn_counts_a_replaced_file_once() -> None:
    cdn = Cdn(b"secret", max_bytes=1_000)
    cdn.put("/attachments/1/1/a.png", b"x" * 300, "image/png")
    cdn.put("/attachments/1/1/a.png", b"y" * 120, "image/png")
    assert cdn.held_bytes == 120 and len(cdn) == 1


def test_cdn_keeps_one_file_even_larger_than_the_budget() -> None:
    cdn = Cdn(b"secret", clock=lambda: 1_000.0, max_bytes=10)
    url = cdn.put("/attachments/1/1/big.png", b"x" * 50, "image/png")
    assert cdn.get(*_query(url)) is not None and cdn.held_bytes == 50


def _message(channel: str, message_id: int) -> dict[str, object]:
    return {"id": str(message_id), "channel_id": channel, "content": f"m{message_id}"}


def test_channel_history_keeps_the_newest_messages_per_channel() -> None:
    store = MessageStore(per_channel=3)
    for message_id in (105, 101, 104, 102, 103):  # out of order: age is the snowflake
        store.put(_message("A", message_id))
    store.put(_message("B", 1))
    assert store.count("A") == 3 and store.count("B") == 1
    assert [m["id"] for m in store.history("A")] == ["105", "104", "103"]
    assert store.get("A", "101", "u") is None
    store.put({**_message("A", 103), "content": "edited"})  # an edit adds nothing
    assert store.count("A") == 3 and store.get("A", "103", "u")["content"] == "edited"  # type: ignore[index]


def test_ephemeral_messages_keep_the_newest() -> None:
    store = MessageStore(ephemeral=2)
    for message_id in (1, 2, 3):
        store.put(_message("A", message_id), visible_to="u")
    assert store.get("A", "1", "u") is None
    assert store.get("A", "2", "u") is not None and store.get("A", "3", "u") is not None


def test_bounded_dict_drops_the_oldest_inserted() -> None:
    records: BoundedDict[str, int] = BoundedDict(2)
    records["a"], records["b"], records["c"] = 1, 2, 3
    assert list(records) == ["b", "c"]
    records["b"] = 20  # an update is no new key
    assert dict(records) == {"b": 20, "c": 3}


def test_submissions_keep_the_newest() -> None:
    submissions = Submissions(limit=2)
    for nonce in ("1", "2", "3"):
        submissions.add(Submission(nonce, 2, "acct", 204))
    assert len(submissions) == 2
    assert [item.nonce for item in submissions] == ["2", "3"]
    assert submissions.nonce_counts() == {"2": 1, "3": 1}
