"""Retention: done deliveries past their retention are purged in batches, by the worker on a
schedule or by ``manage.py events purge``; pending and dead deliveries and the event log stay."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from market import bus
from market.bus.worker import Worker
from market.models import Delivery, EventRecord
from tests.bus import support
from tests.bus.support import Pinged

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def probe(settings):
    settings.EVENTS_DISPATCH = "worker"
    support.ensure_probe_table()
    support.ALWAYS_FAIL.clear()
    yield
    support.ALWAYS_FAIL.clear()


def publish(n: int, prefix: str = "k") -> None:
    for i in range(n):
        with transaction.atomic():
            bus.publish(Pinged(key=f"{prefix}{i}"))


def age_done(hours: float) -> None:
    """Pretend every done delivery completed ``hours`` ago."""
    Delivery.objects.filter(status="done").update(completed_at=timezone.now() - timedelta(hours=hours))


def statuses() -> dict[str, int]:
    return {s: Delivery.objects.filter(status=s).count() for s in ("pending", "done", "dead")}


def test_a_purge_deletes_old_done_deliveries_only_and_keeps_the_event_log(settings):
    settings.EVENTS_RETENTION_HOURS = 24
    settings.EVENTS_MAX_ATTEMPTS = 1
    publish(3)  # 6 deliveries, done below, then aged past the retention
    support.ALWAYS_FAIL.add("k0")
    bus.drain()  # test.record's k0 is dead; the other 5 are done
    age_done(25)
    publish(2, prefix="young")
    bus.drain()  # 4 more done, young
    publish(1, prefix="waiting")  # 2 pending
    assert statuses() == {"pending": 2, "done": 9, "dead": 1}

    assert bus.purge() == 5

    assert statuses() == {"pending": 2, "done": 4, "dead": 1}
    assert EventRecord.objects.count() == 6  # the log is the source; it stays whole
    assert bus.purge() == 0  # nothing left past the retention


def test_a_purge_goes_in_batches_each_one_delete(django_assert_num_queries):
    publish(5)
    bus.drain()
    age_done(1000)
    # 10 done deliveries of two subscribers in batches of 4: one read of the known subscriptions,
    # then per durable subscriber one DELETE, and one more while a batch came back full
    # (test.other and test.record: 4, 1).
    known = len(bus.durable_subscribers())
    with django_assert_num_queries(1 + known + 2) as queries:
        assert bus.purge(batch=4) == 10
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == known + 2 and all("LIMIT 4" in sql for sql in deletes)
    assert not Delivery.objects.exists()


def test_a_purged_delivery_does_not_run_again_and_later_events_still_wait_in_order():
    publish(1, prefix="A")
    bus.drain()
    age_done(1000)
    bus.purge()
    with transaction.atomic():
        bus.publish(Pinged(key="A0", n=2))  # same aggregate as the purged deliveries' event
    assert bus.drain() == 2
    assert [(k, n) for _, k, n, *_ in support.probe_rows("test.record")] == [("A0", 0), ("A0", 2)]


def test_the_events_command_purges(capsys):
    publish(2)
    bus.drain()
    age_done(2)
    call_command("events", "purge", "--older-than-hours", "3")
    assert "purged 0 done deliveries" in capsys.readouterr().out
    call_command("events", "purge", "--older-than-hours", "1", "--batch", "3")
    assert "purged 4 done deliveries" in capsys.readouterr().out


def test_the_worker_purges_on_its_schedule(settings):
    settings.EVENTS_RETENTION_HOURS = 1
    publish(2)
    bus.drain()
    age_done(2)
    worker = Worker(poll=0)
    assert worker.purge_if_due() == 0  # not due before one interval has passed
    worker._next_purge = 0  # the interval has passed
    assert worker.purge_if_due() == 4
    assert worker.purge_if_due() == 0  # and the next one is an interval away
    settings.EVENTS_PURGE_INTERVAL = 0
    assert Worker(poll=0).purge_if_due() == 0  # 0 turns the worker's purge off


def test_a_retention_of_zero_purges_every_done_delivery():
    publish(2)
    bus.drain()
    assert bus.purge(older_than=timedelta(0), now=timezone.now() + timedelta(seconds=1)) == 4


def test_the_worker_purges_in_slices_and_comes_back_for_the_rest(settings, monkeypatch):
    settings.EVENTS_RETENTION_HOURS = 1
    settings.EVENTS_PURGE_BATCH = 1
    publish(3)
    bus.drain()
    age_done(2)
    worker = Worker(poll=0)
    worker._next_purge = 0
    monkeypatch.setattr(Worker, "PURGE_SLICE_SECONDS", -1.0)  # every slice ends after one DELETE
    assert worker.purge_if_due() == 1
    assert worker._next_purge <= time.monotonic()  # the rest is due at once, not an interval later
    monkeypatch.setattr(Worker, "PURGE_SLICE_SECONDS", 60.0)
    assert worker.purge_if_due() == 5
    assert worker._next_purge > time.monotonic() + 1  # all purged: the next one is an interval away
