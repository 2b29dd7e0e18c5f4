"""``market.periodic``: the apps' periodic jobs, run by the worker loop between claims."""

from __future__ import annotations

import threading

import pytest

from market import periodic


@pytest.fixture
def jobs(monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})


def test_jobs_run_at_their_interval_by_the_clock_given(jobs):
    ran = []
    periodic.register("test.tick", every=10)(lambda: ran.append("tick"))

    def broken():
        raise RuntimeError("boom")

    periodic.register("test.broken", every=lambda: 5)(broken)
    now = [100.0]
    assert periodic.run_due(clock=lambda: now[0]) == ["test.tick", "test.broken"]
    now[0] = 105.0
    assert periodic.run_due(clock=lambda: now[0]) == ["test.broken"]  # a failing job is retried, never raised
    now[0] = 110.0
    assert periodic.run_due(clock=lambda: now[0]) == ["test.tick", "test.broken"]
    assert periodic.run_due(clock=lambda: now[0], force=True) == ["test.tick", "test.broken"]
    assert ran == ["tick", "tick", "tick"]


def test_a_job_id_is_registered_once(jobs):
    def job():
        return None

    periodic.register("test.once", every=1)(job)
    periodic.register("test.once", every=1)(job)  # the same function again (a re-imported module): fine
    with pytest.raises(ValueError):
        periodic.register("test.once", every=1)(lambda: None)


def test_one_thread_of_a_process_runs_the_jobs_at_a_time(jobs):
    inside, release = threading.Event(), threading.Event()

    def slow():
        inside.set()
        release.wait(5)

    periodic.register("test.slow", every=0)(slow)
    first = threading.Thread(target=periodic.run_due)
    first.start()
    assert inside.wait(5)
    assert periodic.run_due() == []  # another thread is running jobs: this one goes on with deliveries
    release.set()
    first.join(5)
    assert periodic.run_due() == ["test.slow"]


def test_the_reservation_context_registers_its_sweep():
    assert "reservation.expire_holds" in periodic.jobs()
