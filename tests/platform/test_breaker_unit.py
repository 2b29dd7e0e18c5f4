"""The circuit breaker on its own, with a clock the test moves by hand."""

from __future__ import annotations

import threading

import pytest

from market.resilience import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from tests.platform.conftest import FakeClock


def make(clock, **options) -> CircuitBreaker:
    defaults = {"failure_rate": 0.5, "minimum_calls": 4, "window_seconds": 10, "buckets": 10, "cooldown_seconds": 5}
    return CircuitBreaker("test", clock=clock, **{**defaults, **options})


def call(breaker: CircuitBreaker, *, failure: bool) -> bool:
    """One call through the breaker; False if it was refused."""
    permit = breaker.acquire()
    if permit is None:
        return False
    breaker.record(permit, failure=failure)
    return True


def test_stays_closed_below_the_minimum_number_of_calls():
    breaker = make(FakeClock())
    for _ in range(3):
        assert call(breaker, failure=True)
    assert breaker.state == CLOSED


def test_opens_when_the_failure_rate_crosses_the_threshold():
    breaker = make(FakeClock())
    call(breaker, failure=False)
    call(breaker, failure=False)
    call(breaker, failure=True)
    assert breaker.state == CLOSED  # 1 of 3, and below the minimum anyway
    call(breaker, failure=True)  # 2 of 4 = 50 %
    assert breaker.state == OPEN


def test_successes_keep_it_closed():
    breaker = make(FakeClock())
    for i in range(100):
        call(breaker, failure=i % 3 == 2)  # a third fail: below 50 %
    assert breaker.state == CLOSED


def test_old_failures_leave_the_window():
    clock = FakeClock()
    breaker = make(clock)
    for _ in range(3):
        call(breaker, failure=True)
    clock.advance(11)  # those three are now older than the 10 s window
    for _ in range(3):
        call(breaker, failure=False)
    call(breaker, failure=True)  # 1 failure of 4 in the window
    assert breaker.state == CLOSED


def test_open_refuses_at_once_with_the_remaining_cooldown():
    clock = FakeClock()
    breaker = make(clock)
    for _ in range(4):
        call(breaker, failure=True)
    assert breaker.acquire() is None
    assert breaker.retry_after() == 5
    clock.advance(3.2)
    assert breaker.acquire() is None
    assert breaker.retry_after() == 2  # ceil(1.8)
    assert breaker.rejected == 2


def test_after_the_cooldown_one_trial_closes_it():
    clock = FakeClock()
    breaker = make(clock)
    breaker.force_open()
    clock.advance(5)
    trial = breaker.acquire()
    assert trial is not None and trial.trial
    assert breaker.state == HALF_OPEN
    assert breaker.acquire() is None, "only one trial at a time"
    breaker.record(trial, failure=False)
    assert breaker.state == CLOSED
    assert call(breaker, failure=False)


def test_a_failed_trial_opens_it_for_another_cooldown():
    clock = FakeClock()
    breaker = make(clock)
    breaker.force_open()
    clock.advance(5)
    trial = breaker.acquire()
    breaker.record(trial, failure=True)
    assert breaker.state == OPEN
    assert breaker.retry_after() == 5
    clock.advance(4)
    assert breaker.acquire() is None


def test_a_trial_that_never_reports_back_is_replaced():
    clock = FakeClock()
    breaker = make(clock, trial_timeout_seconds=30)
    breaker.force_open()
    clock.advance(5)
    lost = breaker.acquire()
    assert lost is not None
    clock.advance(31)
    second = breaker.acquire()
    assert second is not None and second.trial
    breaker.record(lost, failure=False)  # a late answer from the lost trial decides nothing
    assert breaker.state == HALF_OPEN
    breaker.record(second, failure=False)
    assert breaker.state == CLOSED


def test_calls_started_before_it_opened_do_not_decide_anything():
    clock = FakeClock()
    breaker = make(clock)
    slow = breaker.acquire()
    breaker.force_open()
    clock.advance(5)
    trial = breaker.acquire()
    breaker.record(slow, failure=True)  # stale: must not re-open the half-open breaker
    assert breaker.state == HALF_OPEN
    breaker.record(trial, failure=False)
    assert breaker.state == CLOSED


def test_reset_closes_and_forgets():
    breaker = make(FakeClock())
    breaker.force_open()
    breaker.reset()
    assert breaker.state == CLOSED
    assert breaker.snapshot()["calls_in_window"] == 0


def test_snapshot_shows_the_window():
    breaker = make(FakeClock(), minimum_calls=100)
    call(breaker, failure=True)
    call(breaker, failure=False)
    snap = breaker.snapshot()
    assert snap["state"] == CLOSED
    assert snap["calls_in_window"] == 2 and snap["failures_in_window"] == 1


@pytest.mark.parametrize("rate", [0, 1.5])
def test_rejects_a_nonsense_threshold(rate):
    with pytest.raises(ValueError):
        make(FakeClock(), failure_rate=rate)


def test_counts_exactly_under_concurrent_recording():
    """Many threads reporting at once: no outcome is lost (the window's counters are exact)."""
    breaker = make(FakeClock(), minimum_calls=10**9)
    threads, per_thread = 16, 500
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            call(breaker, failure=(i + n) % 2 == 0)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    snap = breaker.snapshot()
    assert snap["calls_in_window"] == threads * per_thread
    assert snap["failures_in_window"] == threads * per_thread // 2
