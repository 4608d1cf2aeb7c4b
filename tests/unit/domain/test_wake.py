from app.domain.wake import ANYONE, WakeNote, read_wake_note, wake_note


def test_a_note_round_trips_what_placement_needs() -> None:
    note = read_wake_note(wake_note("niji", "acct-2", ["acct-1", "acct-2"]))
    assert note == WakeNote(bot="niji", account="acct-2", accounts=frozenset({"acct-1", "acct-2"}))


def test_a_note_admits_only_accounts_that_could_lease_the_task() -> None:
    note = read_wake_note(wake_note("niji", None, ["a", "b"]))
    assert note.admits("a", frozenset({"mj", "niji"}))
    assert not note.admits("a", frozenset({"mj"}))  # no niji bot
    assert not note.admits("c", frozenset({"niji"}))  # not one of the key's accounts
    pinned = read_wake_note(wake_note("mj", "b", None))
    assert pinned.admits("b", frozenset({"mj"}))
    assert not pinned.admits("a", frozenset({"mj"}))


def test_anything_that_is_not_a_note_means_anyone() -> None:
    for payload in ("", "1234567890", "[1]", "{", '{"b": 3, "k": "x"}'):
        assert read_wake_note(payload) == ANYONE
        assert read_wake_note(payload).admits("any", frozenset())


def test_a_huge_key_account_list_is_left_out_not_cut() -> None:
    payload = wake_note("mj", None, [f"account-{i}" for i in range(1000)])
    assert len(payload) < 8000
    assert read_wake_note(payload).accounts is None
