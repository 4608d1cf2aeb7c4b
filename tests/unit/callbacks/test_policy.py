from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from app.callbacks.policy import (
    DEFAULT_SCHEDULE_S,
    DeliveryStatus,
    Outcome,
    RetrySchedule,
    classify_status,
    decide,
    parse_retry_after,
)

HOUR = 3600.0
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class FakeClock:
    """Time in seconds since the first attempt; the dispatcher loop, without the waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def run_to_give_up(schedule: RetrySchedule, rand, outcome=Outcome.HTTP_ERROR) -> list[float]:
    """Attempt times of a delivery whose every attempt fails with `outcome`."""
    clock = FakeClock()
    times = []
    attempts = 0
    while True:
        times.append(clock.now)
        attempts += 1
        decision = decide(outcome, attempts, schedule, rand)
        if decision.status is not DeliveryStatus.PENDING:
            assert decision.status is DeliveryStatus.FAILED
            return times
        clock.advance(decision.delay_s)


@pytest.mark.parametrize(
    "rand",
    [pytest.param(lambda: 0.0, id="all-short"), pytest.param(lambda: 0.999999, id="all-long")],
)
def test_default_schedule_spans_72h_with_8_attempts__extreme_jitter(rand) -> None:
    times = run_to_give_up(RetrySchedule(), rand)
    assert len(times) >= 8
    assert times[-1] - times[0] >= 72 * HOUR
    assert len(times) == len(DEFAULT_SCHEDULE_S) + 1


def test_default_schedule_span_bounds_hold_over_random_jitter() -> None:
    schedule = RetrySchedule()
    low, high = schedule.span_bounds_s()
    assert low >= 72 * HOUR
    rng = random.Random(7)
    for _ in range(200):
        times = run_to_give_up(schedule, rng.random)
        assert low <= times[-1] <= high


def test_jitter_stays_within_20_percent_and_uses_the_random_source() -> None:
    schedule = RetrySchedule((100.0, 1000.0))
    assert schedule.delay_after(1, lambda: 0.0) == pytest.approx(80.0)
    assert schedule.delay_after(1, lambda: 0.5) == pytest.approx(100.0)
    assert schedule.delay_after(2, lambda: 0.9999999) == pytest.approx(1200.0, rel=1e-6)
    rng = random.Random(1)
    delays = [schedule.delay_after(2, rng.random) for _ in range(2000)]
    assert all(800.0 <= d <= 1200.0 for d in delays)
    # Jitter really spreads: both ends of the band are reached, not just the middle.
    assert min(delays) < 820 and max(delays) > 1180


def test_schedule_runs_out_after_its_last_delay() -> None:
    schedule = RetrySchedule((1.0, 2.0))
    assert schedule.max_attempts == 3
    assert schedule.delay_after(2, lambda: 0.5) == 2.0
    assert schedule.delay_after(3, lambda: 0.5) is None
    assert decide(Outcome.TIMEOUT, 3, schedule, lambda: 0.5).status is DeliveryStatus.FAILED


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        pytest.param(200, Outcome.DELIVERED, id="200"),
        pytest.param(204, Outcome.DELIVERED, id="204"),
        pytest.param(299, Outcome.DELIVERED, id="299"),
        pytest.param(301, Outcome.REDIRECT, id="301"),
        pytest.param(302, Outcome.REDIRECT, id="302"),
        pytest.param(308, Outcome.REDIRECT, id="308"),
        pytest.param(410, Outcome.GONE, id="410"),
        pytest.param(400, Outcome.HTTP_ERROR, id="400"),
        pytest.param(404, Outcome.HTTP_ERROR, id="404"),
        pytest.param(429, Outcome.HTTP_ERROR, id="429"),
        pytest.param(500, Outcome.HTTP_ERROR, id="500"),
        pytest.param(101, Outcome.HTTP_ERROR, id="101"),
    ],
)
def test_classify_status(status: int, outcome: Outcome) -> None:
    assert classify_status(status) is outcome


def test_decide_410_stops_and_disables_the_url() -> None:
    decision = decide(Outcome.GONE, 1, RetrySchedule(), lambda: 0.5)
    assert decision == _d(DeliveryStatus.GONE, None, disable_url=True)


def test_decide_3xx_is_a_failed_attempt_that_is_retried() -> None:
    decision = decide(Outcome.REDIRECT, 1, RetrySchedule((5.0,)), lambda: 0.5)
    assert decision == _d(DeliveryStatus.PENDING, 5.0)


@pytest.mark.parametrize(
    "outcome",
    [Outcome.HTTP_ERROR, Outcome.TIMEOUT, Outcome.NETWORK_ERROR, Outcome.INTERNAL_ERROR],
    ids=str,
)
def test_decide_transient_failures_are_retried(outcome: Outcome) -> None:
    assert decide(outcome, 1, RetrySchedule((5.0,)), lambda: 0.5).delay_s == 5.0


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.BLOCKED, DeliveryStatus.FAILED),
        (Outcome.INVALID_URL, DeliveryStatus.FAILED),
        (Outcome.DISABLED, DeliveryStatus.DISABLED),
        (Outcome.DELIVERED, DeliveryStatus.DELIVERED),
    ],
    ids=str,
)
def test_decide_final_outcomes_are_not_retried(outcome: Outcome, status) -> None:
    decision = decide(outcome, 1, RetrySchedule(), lambda: 0.5, retry_after_s=10)
    assert decision == _d(status, None)


def _d(status, delay, disable_url=False):
    from app.callbacks.policy import Decision

    return Decision(status, delay, disable_url)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        pytest.param(None, 60.0, id="absent-uses-schedule"),
        pytest.param(0.0, 60.0, id="zero-cannot-hurry-us"),
        pytest.param(30.0, 60.0, id="shorter-than-schedule"),
        pytest.param(600.0, 600.0, id="longer-is-honoured"),
        pytest.param(10 * 86400.0, 86400.0, id="capped-at-a-day"),
    ],
)
def test_retry_after_can_only_postpone_within_bounds(retry_after, expected) -> None:
    decision = decide(Outcome.HTTP_ERROR, 1, RetrySchedule((60.0,)), lambda: 0.5, retry_after)
    assert decision.delay_s == pytest.approx(expected)


def test_retry_after_does_not_extend_the_number_of_attempts() -> None:
    schedule = RetrySchedule((60.0,))
    assert decide(Outcome.HTTP_ERROR, 2, schedule, lambda: 0.5, 5.0).status is (
        DeliveryStatus.FAILED
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        pytest.param("120", 120.0, id="delta-seconds"),
        pytest.param(" 0 ", 0.0, id="zero"),
        pytest.param("Fri, 02 Jan 2026 03:06:05 GMT", 120.0, id="http-date"),
        pytest.param("Fri, 02 Jan 2026 03:00:00 GMT", 0.0, id="date-in-the-past"),
        pytest.param("Fri, 02 Jan 2026 03:06:05 -0000", 120.0, id="naive-date-is-utc"),
        pytest.param("-5", None, id="negative"),
        pytest.param("-" + "9" * 400, None, id="negative-400-digits"),
        pytest.param("9" * 400, 1e9, id="400-digits-clamped"),
        pytest.param("9" * 5000, 1e9, id="longer-than-int-str-digits"),
        pytest.param("0" * 400 + "7", 7.0, id="leading-zeros"),
        pytest.param("²", None, id="superscript-two"),
        pytest.param("١٢٠", None, id="arabic-indic-digits"),
        pytest.param("1e3", None, id="exponent"),
        pytest.param("Fri, 02 Jan 2026 03:06:05 GMT", 120.0, id="http-date-future"),
        pytest.param("Thu, 01 Jan 1970 00:00:00 GMT", 0.0, id="http-date-long-past"),
        pytest.param("Fri, 31 Dec 9999 23:59:59 GMT", 1e9, id="http-date-year-9999"),
        pytest.param("Fri, 31 Dec 99999 23:59:59 GMT", None, id="http-date-year-99999"),
        pytest.param("Fri, 02 Jan 2026 03:06:05 +9999", None, id="http-date-bad-offset"),
        pytest.param("\x00", None, id="nul"),
        pytest.param("soon", None, id="garbage"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(header, seconds) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_a_huge_retry_after_is_capped_by_the_schedule() -> None:
    retry_after = parse_retry_after("9" * 400, NOW)
    decision = decide(Outcome.HTTP_ERROR, 1, RetrySchedule((60.0,)), lambda: 0.5, retry_after)
    assert decision.status is DeliveryStatus.PENDING and decision.delay_s == 86400.0


def test_attempt_times_increase_with_a_fake_clock() -> None:
    times = run_to_give_up(RetrySchedule(), random.Random(3).random)
    assert times == sorted(times)
    assert all(b - a >= 4.0 for a, b in itertools.pairwise(times))
    assert timedelta(seconds=times[-1]) >= timedelta(hours=72)
