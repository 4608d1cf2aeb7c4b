"""The restart backoff of crashed account runners: exponential, capped, forgiven after health."""

from __future__ import annotations

from app.worker.restart_backoff import RestartBackoff


def test_delays_double_up_to_the_cap() -> None:
    backoff = RestartBackoff(base_s=5, cap_s=60, healthy_s=600)
    now = 0.0
    delays = []
    for _ in range(7):
        backoff.started("a", now)
        now += 1  # crashes a second after each start
        delay = backoff.crashed("a", now)
        delays.append(delay)
        assert not backoff.may_start("a", now + delay - 0.01)
        assert backoff.may_start("a", now + delay)
        now += delay
    assert delays == [5, 10, 20, 40, 60, 60, 60]


def test_a_runner_that_was_healthy_starts_the_count_again() -> None:
    backoff = RestartBackoff(base_s=5, cap_s=60, healthy_s=600)
    backoff.started("a", 0)
    assert backoff.crashed("a", 1) == 5
    backoff.started("a", 6)
    assert backoff.crashed("a", 7) == 10
    backoff.started("a", 17)
    assert backoff.crashed("a", 17 + 600) == 5  # ran ten minutes: forgiven


def test_accounts_are_independent_and_forgotten() -> None:
    backoff = RestartBackoff(base_s=5, cap_s=60)
    assert backoff.may_start("a", 0)  # never crashed
    backoff.started("a", 0)
    backoff.crashed("a", 1)
    assert not backoff.may_start("a", 2) and backoff.may_start("b", 2)
    backoff.forget("a")
    assert backoff.may_start("a", 2)


def test_weeks_of_crashes_never_overflow() -> None:
    backoff = RestartBackoff(base_s=5, cap_s=300)
    now = 0.0
    for _ in range(5000):
        backoff.started("a", now)
        now += backoff.crashed("a", now)
    assert backoff.crashed("a", now) == 300
