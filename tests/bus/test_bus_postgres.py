"""The bus on PostgreSQL with real processes: several workers, a crash, a graceful stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings

from market import bus
from market.models import Delivery, EventRecord
from tests.bus import support
from tests.bus.support import Counted, Pinged, probe_rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER = Path(__file__).with_name("worker_process.py")


def worker_env(**extra: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "EVENTS_DISPATCH": "worker", "LOG_LEVEL": "WARNING"}
    env.update(extra)
    return env


def start_worker(mode: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), mode], env=worker_env(**extra))


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def probe():
    support.ensure_probe_table()


@override_settings(EVENTS_DISPATCH="worker")
def test_two_workers_drain_a_backlog_of_1000_delivering_each_exactly_once():
    with transaction.atomic():
        for n in range(1000):
            bus.publish(Counted(n=n))
    assert Delivery.objects.filter(subscriber="test.count", status="pending").count() == 1000

    workers = [start_worker("once", PROBE_NOTE=f"w{i}", PROBE_COUNT_SLEEP="0.002") for i in range(2)]
    for w in workers:
        assert w.wait(timeout=120) == 0

    rows = probe_rows("test.count")
    assert len(rows) == 1000
    assert len({r[3] for r in rows}) == 1000  # each event handled once
    assert {r[4] for r in rows} == {"w0", "w1"}  # and both workers took part
    assert not Delivery.objects.filter(subscriber="test.count").exclude(status="done").exists()


@override_settings(EVENTS_DISPATCH="worker")
def test_a_worker_killed_mid_handler_leaves_the_delivery_to_another_after_its_lease(tmp_path):
    bus.pause("test.other")  # only test.record matters here
    with transaction.atomic():
        bus.publish(Pinged(key="crash"))
    started = tmp_path / "started"
    victim = start_worker("forever", PROBE_SLOW_SECONDS="60", PROBE_STARTED_FILE=str(started), EVENTS_LEASE_SECONDS="2")
    try:
        wait_for(started.exists, what="the handler to start")
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)

    # The dead worker's write was never committed; its lease is still on the row for a moment.
    assert probe_rows("test.record") == []
    delivery = Delivery.objects.get(subscriber="test.record")
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.lease_owner

    rescuer = start_worker("forever", EVENTS_LEASE_SECONDS="2")
    try:
        wait_for(lambda: Delivery.objects.get(pk=delivery.pk).status == "done", what="the rescue")
    finally:
        rescuer.send_signal(signal.SIGTERM)
        assert rescuer.wait(timeout=15) == 0
    assert len(probe_rows("test.record")) == 1  # the effect applied once


@override_settings(EVENTS_DISPATCH="worker")
def test_sigterm_lets_the_worker_finish_the_delivery_in_hand(tmp_path):
    bus.pause("test.other")
    with transaction.atomic():
        bus.publish(Pinged(key="graceful"))
        bus.publish(Pinged(key="graceful-2"))
    started = tmp_path / "started"
    worker = start_worker("forever", PROBE_SLOW_SECONDS="1.5", PROBE_STARTED_FILE=str(started), WORKER_BATCH="10")
    wait_for(started.exists, what="the handler to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    done = Delivery.objects.filter(subscriber="test.record", status="done").count()
    pending = Delivery.objects.filter(subscriber="test.record", status="pending", lease_owner="").count()
    assert (done, pending) == (1, 1)  # finished the one in hand, gave the other back
    assert len(probe_rows("test.record")) == 1


def test_a_rolled_back_publisher_leaves_no_event_on_postgres():
    with pytest.raises(RuntimeError), transaction.atomic():
        bus.publish(Pinged(key="gone"))
        raise RuntimeError("the command failed")
    assert not EventRecord.objects.exists()
    assert not Delivery.objects.exists()


def test_concurrent_claims_never_share_a_delivery():
    """Two connections claim at once: SKIP LOCKED hands each row to exactly one of them."""
    import threading

    with override_settings(EVENTS_DISPATCH="worker"), transaction.atomic():
        for n in range(200):
            bus.publish(Counted(n=n))
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claim(owner: str) -> None:
        try:
            barrier.wait()
            ids: list[int] = []
            while batch := bus.claim(owner=owner, limit=7, subscriber="test.count"):
                ids += batch
            claimed[owner] = ids
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [i for ids in claimed.values() for i in ids]
    assert len(all_ids) == len(set(all_ids)) == 200
