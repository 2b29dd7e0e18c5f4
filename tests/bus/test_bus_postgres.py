"""The bus on PostgreSQL with real processes: several workers, a crash, a graceful stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest.mock import ANY

import pytest
from django.db import connection, transaction
from django.test import override_settings

from market import bus
from market.bus.worker import Worker, worker_connection
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
def test_sigterm_lets_the_worker_finish_the_transaction_in_hand(tmp_path):
    with transaction.atomic():
        bus.publish(Pinged(key="graceful"))
        bus.publish(Pinged(key="graceful-2"))
    started = tmp_path / "started"
    worker = start_worker("forever", PROBE_SLOW_SECONDS="1.5", PROBE_STARTED_FILE=str(started), WORKER_BATCH="10")
    wait_for(started.exists, what="the handler to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    # The claim took all four deliveries; test.record's two ran as one batch (one transaction),
    # which the worker finished; test.other's had not started and were given back.
    rows = Delivery.objects.values_list("subscriber", "status", "lease_owner")
    assert sorted(rows) == [
        ("test.other", "pending", ""),
        ("test.other", "pending", ""),
        ("test.record", "done", ANY),
        ("test.record", "done", ANY),
    ]
    assert len(probe_rows("test.record")) == 2
    assert probe_rows("test.other") == []


def test_a_rolled_back_publisher_leaves_no_event_on_postgres():
    with pytest.raises(RuntimeError), transaction.atomic():
        bus.publish(Pinged(key="gone"))
        raise RuntimeError("the command failed")
    assert not EventRecord.objects.exists()
    assert not Delivery.objects.exists()


def test_concurrent_claims_never_share_a_delivery():
    """Two connections claim at once: SKIP LOCKED hands each row to exactly one of them."""

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
                ids += [d.pk for d in batch]
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


# --- threads and asynchronous commits --------------------------------------------------------


def test_worker_threads_drain_a_backlog_delivering_each_exactly_once(monkeypatch):
    with override_settings(EVENTS_DISPATCH="worker"), transaction.atomic():
        for n in range(600):
            bus.publish(Counted(n=n))
    monkeypatch.setenv("PROBE_COUNT_SLEEP", "0.002")  # long enough for the threads to interleave
    worker = Worker(batch=10, threads=4)

    assert worker.run_until_idle() == 600

    rows = probe_rows("test.count")
    assert len(rows) == len({r[3] for r in rows}) == 600  # each event handled once
    done = Delivery.objects.filter(subscriber="test.count", status="done")
    assert done.count() == 600
    owners = set(done.values_list("lease_owner", flat=True))
    assert owners <= {f"{worker.owner}/{i}" for i in range(4)} and len(owners) > 1  # threads shared the work


def test_sigterm_stops_every_thread_after_its_delivery_in_hand():
    with override_settings(EVENTS_DISPATCH="worker"), transaction.atomic():
        for n in range(300):
            bus.publish(Counted(n=n))
    worker = start_worker("forever", WORKER_THREADS="3", WORKER_BATCH="20", PROBE_COUNT_SLEEP="0.05")
    wait_for(lambda: len(probe_rows("test.count")) >= 6, what="the threads to get going")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0

    done = Delivery.objects.filter(subscriber="test.count", status="done").count()
    assert 0 < done < 300
    assert len(probe_rows("test.count")) == done  # every delivery in hand finished, nothing half-done
    # The rest was handed back at once, not left to lease expiry.
    assert not Delivery.objects.filter(subscriber="test.count", status="pending").exclude(lease_owner="").exists()


def show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


def synchronous_commit() -> str:
    return show("synchronous_commit")


@pytest.mark.parametrize("configured", ["off", "on"])
def test_synchronous_commit_is_the_workers_setting_for_deliveries_only(settings, configured):
    """Worker connections get the setting; inline deliveries in a web process get it for their own
    transactions (SET LOCAL); the request's transaction and connection keep synchronous commits."""
    settings.EVENTS_WORKER_SYNCHRONOUS_COMMIT = configured
    seen: list[tuple[str, str]] = []
    support.ON_HANDLE.append(lambda event: seen.append((event.key, synchronous_commit())))
    try:
        bus.pause("test.other")
        settings.EVENTS_DISPATCH = "inline"
        with transaction.atomic():  # a web request: the inline dispatch runs in its process
            seen.append(("the request itself", synchronous_commit()))
            bus.publish(Pinged(key="request"))
        settings.EVENTS_DISPATCH = "worker"
        with transaction.atomic():
            bus.publish(Pinged(key="worker-1"))
            bus.publish(Pinged(key="worker-2"))
        assert Worker(batch=1, threads=2).run_until_idle() == 2
    finally:
        support.ON_HANDLE.clear()

    assert sorted(seen) == [
        ("request", configured),
        ("the request itself", "on"),
        ("worker-1", configured),
        ("worker-2", configured),
    ]
    assert synchronous_commit() == "on"  # the request's connection never changed


def test_a_worker_connection_gets_the_setting_again_after_a_reconnect(settings):
    settings.EVENTS_WORKER_SYNCHRONOUS_COMMIT = "off"
    seen: list = []

    def in_a_worker_thread() -> None:
        with worker_connection():
            seen.append(synchronous_commit())
            connection.close()  # e.g. close_old_connections() after CONN_MAX_AGE, or an outage
            seen.append(synchronous_commit())
        seen.append(connection.connection is None)  # the worker closes its connection on the way out

    thread = threading.Thread(target=in_a_worker_thread)
    thread.start()
    thread.join()
    assert seen == ["off", "off", True]
    assert synchronous_commit() == "on"


def test_worker_connections_plan_each_claim_with_its_values():
    """A prepared claim's generic plan cannot see that ``status = $1`` means the pending rows: the
    worker's connections always plan with the values; web connections keep PostgreSQL's default."""
    seen: list[str] = []

    def in_a_worker_thread() -> None:
        with worker_connection():
            seen.append(show("plan_cache_mode"))

    thread = threading.Thread(target=in_a_worker_thread)
    thread.start()
    thread.join()
    assert seen == ["force_custom_plan"]
    assert show("plan_cache_mode") == "auto"


def test_a_running_delivery_cannot_be_claimed_even_after_its_lease_expired(settings):
    """The done UPDATE that opens the handler's transaction locks the row until commit: a second
    worker's claim skips it, however long the handler takes."""
    import threading
    from datetime import timedelta

    from django.utils import timezone

    bus.pause("test.other")
    with override_settings(EVENTS_DISPATCH="worker"), transaction.atomic():
        bus.publish(Pinged(key="slow"))
    started, release = threading.Event(), threading.Event()
    support.ON_HANDLE.append(lambda event: (started.set(), release.wait(10)))
    outcome = {}

    def run_a() -> None:
        try:
            (delivery,) = bus.claim(owner="A", subscriber="test.record")
            (outcome["a"],) = bus.run([delivery], owner="A")
        finally:
            connection.close()

    worker_a = threading.Thread(target=run_a)
    worker_a.start()
    try:
        assert started.wait(10)
        past_the_lease = timezone.now() + timedelta(seconds=settings.EVENTS_LEASE_SECONDS + 1)
        assert bus.claim(owner="B", subscriber="test.record", now=past_the_lease) == []
    finally:
        release.set()
        worker_a.join()
        support.ON_HANDLE.clear()
    assert outcome["a"] == "done"
    assert len(probe_rows("test.record")) == 1
