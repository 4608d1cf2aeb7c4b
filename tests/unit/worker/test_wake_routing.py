import asyncio

from app.domain.wake import wake_note
from app.worker.wake_routing import Seat, WakeRouter
from app.worker.wakeup import Wakeup


class Runner:
    def __init__(self, account_id: str, *, bots: tuple[str, ...] = ("mj",), room: int = 3) -> None:
        self.wakeup = Wakeup()
        self.busy = 0
        self.cap = room
        self.leasing = True
        self.seat = Seat(
            account_id,
            frozenset(bots),
            self.wakeup,
            in_flight=lambda: self.busy,
            room=lambda: max(self.cap - self.busy, 0) if self.leasing else 0,
        )

    def woken(self) -> bool:
        return self.wakeup._event.is_set()

    def rest(self) -> None:
        self.wakeup._event.clear()


def _router(*runners: Runner, choice: str = "least-busy") -> WakeRouter:
    router = WakeRouter(choice)
    for runner in runners:
        router.join(runner.seat)
    return router


def test_a_notification_wakes_one_runner_not_all() -> None:
    runners = [Runner(f"a{i}") for i in range(5)]
    router = _router(*runners)
    router.notified(wake_note("mj", None, None))
    assert sum(r.woken() for r in runners) == 1


def test_only_a_runner_whose_account_admits_the_task_is_woken() -> None:
    mj, niji, pinned = Runner("a1"), Runner("a2", bots=("mj", "niji")), Runner("a3")
    router = _router(mj, niji, pinned)
    router.notified(wake_note("niji", None, None))
    assert (mj.woken(), niji.woken(), pinned.woken()) == (False, True, False)
    niji.rest()
    router.notified(wake_note("mj", "a3", None))
    assert (mj.woken(), niji.woken(), pinned.woken()) == (False, False, True)
    pinned.rest()
    router.notified(wake_note("mj", None, ["a1"]))
    assert (mj.woken(), niji.woken(), pinned.woken()) == (True, False, False)


def test_a_burst_spreads_over_the_free_slots_and_stops_when_they_are_reserved() -> None:
    a, b = Runner("a", room=2), Runner("b", room=2)
    router = _router(a, b)
    for _ in range(6):
        router.notified(wake_note("mj", None, None))
    assert (len(a.seat.batons), len(b.seat.batons)) == (2, 2)  # the other 2 wait for a slot


def test_least_busy_prefers_the_idle_runner() -> None:
    busy, idle = Runner("a"), Runner("b")
    busy.busy = 2
    router = _router(busy, idle)
    router.notified(wake_note("mj", None, None))
    assert idle.woken() and not busy.woken()


def test_fill_first_prefers_the_lowest_account_id() -> None:
    first, second = Runner("a"), Runner("b")
    first.busy = 2
    router = _router(second, first, choice="fill-first")
    router.notified(wake_note("mj", None, None))
    assert first.woken() and not second.woken()


def test_a_wake_up_the_runner_could_not_use_goes_on_to_the_next_one() -> None:
    a, b, c = Runner("a"), Runner("b"), Runner("c")
    router = _router(a, b, c)
    router.notified(wake_note("mj", None, None))
    first = next(r for r in (a, b, c) if r.woken())
    batons = router.take(first.seat)
    first.rest()
    router.settle(first.seat, batons, claimed=0)  # its mode did not fit, say
    second = [r for r in (a, b, c) if r.woken()]
    assert len(second) == 1 and second[0] is not first
    router.settle(second[0].seat, router.take(second[0].seat), claimed=0)
    third = [r for r in (a, b, c) if r.woken() and r not in (first, second[0])]
    assert len(third) == 1
    third[0].rest()
    router.settle(third[0].seat, router.take(third[0].seat), claimed=0)
    assert not any(r.woken() for r in (a, b, c) if r is third[0])  # tried by all: dropped


def test_a_used_wake_up_is_not_passed_on() -> None:
    a, b = Runner("a"), Runner("b")
    router = _router(a, b)
    router.notified(wake_note("mj", None, None))
    router.notified(wake_note("mj", None, None))
    for runner in (a, b):
        batons = router.take(runner.seat)
        runner.rest()
        router.settle(runner.seat, batons, claimed=len(batons))
    assert not a.woken() and not b.woken()


def test_a_runner_that_cannot_lease_gets_nothing_and_a_leaving_one_hands_its_batons_on() -> None:
    a, b = Runner("a"), Runner("b")
    a.leasing = False
    router = _router(a, b)
    router.notified(wake_note("mj", None, None))
    assert b.woken() and not a.woken()
    a.leasing = True
    b.rest()
    router.leave(b.seat)
    assert a.woken()


def test_wake_all_reaches_every_runner() -> None:
    runners = [Runner(f"a{i}") for i in range(3)]
    _router(*runners).wake_all()
    assert all(r.woken() for r in runners)


def test_the_wakeup_waits_until_fired() -> None:
    async def scenario() -> tuple[bool, bool]:
        wakeup = Wakeup()
        timed_out = await wakeup.wait(0.01)
        wakeup.fire()
        return timed_out, await wakeup.wait(5)

    assert asyncio.run(scenario()) == (False, True)
