"""Routing `NOTIFY mjrelay_tasks`: each new pending task wakes one runner that can use it.

A notification carries the task's wake note (`app/domain/wake.py`). The router hands it, as a
baton, to one runner of this process whose account admits it (bot, pinned/filtered account, the
key's accounts) and has a slot no other baton has reserved, the one the account choice prefers;
and fires that runner's `Wakeup`. The runner takes its batons when it starts a lease and settles
them after: as many as it claimed tasks are used up, the rest go on to the next runner that
could use them (it was the wrong mode, or the lease's SQL deferred to another account). A
baton that finds no runner is dropped: the task waits for a free slot (a runner leases as soon
as one frees) or the poll. A lost notification or a lost LISTEN connection only delays work:
every runner still polls, and a LISTEN that comes back wakes them all. See docs/worker.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.wake import WakeNote, read_wake_note
from app.worker.wakeup import Wakeup


@dataclass(eq=False)
class Baton:
    note: WakeNote
    tried: set[str] = field(default_factory=set)  # accounts that had it and claimed nothing


@dataclass(eq=False)
class Seat:
    """A runner as the router sees it."""

    account_id: str
    bots: frozenset[str]
    wakeup: Wakeup
    in_flight: Callable[[], int]  # the tasks it drives now
    room: Callable[[], int]  # free slots it could lease into now (0 while it cannot lease)
    weight: float = 1.0
    batons: list[Baton] = field(default_factory=list)
    woken: int = 0  # when last given a baton (a counter), to spread ties

    def free(self) -> int:
        return self.room() - len(self.batons)


class WakeRouter:
    def __init__(self, choice: str = "least-busy") -> None:
        self._choice = choice
        self._seats: dict[str, Seat] = {}
        self._clock = 0

    def join(self, seat: Seat) -> None:
        self._seats[seat.account_id] = seat

    def leave(self, seat: Seat) -> None:
        if self._seats.get(seat.account_id) is seat:
            del self._seats[seat.account_id]
        self.settle(seat, self.take(seat), 0)

    def notified(self, payload: str) -> WakeNote:
        """A notification on mjrelay_tasks: give its note to one runner. Returns the note."""
        note = read_wake_note(payload)
        self._give(Baton(note))
        return note

    def wake_all(self) -> None:
        """Notifications may have been missed (LISTEN came back): every runner leases."""
        for seat in self._seats.values():
            seat.wakeup.fire()

    def take(self, seat: Seat) -> list[Baton]:
        """The batons a runner holds as its lease starts (later ones wait for its next lease)."""
        taken, seat.batons = seat.batons, []
        return taken

    def settle(self, seat: Seat, batons: list[Baton], claimed: int) -> None:
        """After a lease that claimed `claimed` tasks: the batons it did not use go on."""
        for baton in batons[claimed:]:
            baton.tried.add(seat.account_id)
            self._give(baton)

    def _give(self, baton: Baton) -> None:
        note = baton.note
        candidates = [
            seat
            for seat in self._seats.values()
            if seat.account_id not in baton.tried
            and note.admits(seat.account_id, seat.bots)
            and seat.free() > 0
        ]
        if not candidates:
            return
        seat = min(candidates, key=self._rank)
        self._clock += 1
        seat.woken = self._clock
        seat.batons.append(baton)
        seat.wakeup.fire()

    def _rank(self, seat: Seat) -> tuple[float, int | str]:
        """Who comes first under the account choice (the lease's SQL has the last word)."""
        load = seat.in_flight() + len(seat.batons)
        if self._choice == "fill-first":
            return (0.0, seat.account_id)
        if self._choice == "round-robin":
            return (float(seat.woken), seat.account_id)
        if self._choice == "weighted":
            return (load / max(seat.weight, 1e-9), seat.woken)
        return (float(load), seat.woken)
