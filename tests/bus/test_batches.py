"""The worker runs a claim's deliveries for one atomic subscriber as one batch (one transaction).

What a user of the bus would notice, and what must not change: each delivery's effects still
commit with its "done" mark, a failing delivery is retried alone and never holds back the others,
a lost lease is still noticed, and the batch costs a fixed number of statements, not a few per
delivery.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from market import bus
from market.bus.worker import Worker
from market.models import Delivery
from tests.bus import support
from tests.bus.support import Pinged, probe_rows


@pytest.fixture(autouse=True)
def probe(db, settings):
    settings.EVENTS_DISPATCH = "worker"
    support.ensure_probe_table()
    support.FAILURES.clear()
    support.ALWAYS_FAIL.clear()
    support.ON_HANDLE.clear()
    support.TEXT_BATCHES.clear()
    yield
    support.FAILURES.clear()
    support.ALWAYS_FAIL.clear()
    support.ON_HANDLE.clear()


def publish_many(n: int, prefix: str = "k") -> None:
    for i in range(n):
        with transaction.atomic():
            bus.publish(Pinged(key=f"{prefix}{i}"))


def statuses(subscriber: str) -> list[tuple[str, int]]:
    return list(Delivery.objects.filter(subscriber=subscriber).order_by("id").values_list("status", "attempts"))


def test_a_batch_applies_every_delivery_once_and_marks_each_done():
    publish_many(5)
    claimed = bus.claim(owner="A", subscriber="test.record")
    assert bus.run(claimed, owner="A") == ["done"] * 5
    assert statuses("test.record") == [("done", 1)] * 5
    assert sorted(key for _, key, *_ in probe_rows("test.record")) == [f"k{i}" for i in range(5)]


def test_a_batch_costs_a_fixed_number_of_statements_besides_the_handlers(django_assert_max_num_queries):
    publish_many(20)
    claimed = bus.claim(owner="A", subscriber="test.record")
    # SAVEPOINT (the test's transaction stands in for BEGIN), one UPDATE marking all 20 done,
    # 20 handler INSERTs, RELEASE. One by one it was 4 statements per delivery.
    with django_assert_max_num_queries(3 + 20) as captured:
        bus.run(claimed, owner="A")
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1


def test_a_failing_delivery_is_retried_alone_and_the_rest_of_its_batch_commits():
    publish_many(4)
    support.ALWAYS_FAIL.add("k2")
    claimed = bus.claim(owner="A", subscriber="test.record")
    outcomes = bus.run(claimed, owner="A")
    assert outcomes == ["done", "done", "retry", "done"]
    assert statuses("test.record") == [("done", 1), ("done", 1), ("pending", 1), ("done", 1)]
    # Effects once: the batch's rolled-back first pass left nothing behind.
    assert sorted(key for _, key, *_ in probe_rows("test.record")) == ["k0", "k1", "k3"]
    failing = Delivery.objects.get(subscriber="test.record", status="pending")
    assert "k2 always fails" in failing.last_error
    support.ALWAYS_FAIL.clear()  # the cause is fixed; the retry after the backoff goes through
    later = timezone.now() + timedelta(hours=1)
    assert bus.drain(subscriber="test.record", now=later) == 1
    assert sorted(key for _, key, *_ in probe_rows("test.record")) == ["k0", "k1", "k2", "k3"]


def test_a_lease_lost_inside_a_batch_skips_only_that_delivery(settings):
    publish_many(3)
    claimed = bus.claim(owner="A", subscriber="test.record")
    # The second delivery's lease expired and worker B took it over (and holds it).
    later = timezone.now() + timedelta(seconds=settings.EVENTS_LEASE_SECONDS + 1)
    (taken,) = bus.claim(owner="B", only_ids=[claimed[1].pk], now=later)
    assert bus.run(claimed, owner="A") == ["done", "skipped", "done"]
    assert Delivery.objects.get(pk=taken.pk).lease_owner == "B"
    assert bus.run([taken], owner="B") == ["done"]
    assert sorted(key for _, key, *_ in probe_rows("test.record")) == ["k0", "k1", "k2"]


def test_subscribers_are_batched_apart_and_outside_world_ones_run_one_by_one(django_assert_max_num_queries):
    publish_many(3)  # test.record and test.other: two batches
    for i in range(3):
        with transaction.atomic():
            bus.publish(support.Called(key=f"c{i}"))  # test.outside: atomic=False
    claimed = bus.claim(owner="A")
    assert len(claimed) == 9
    assert bus.run(claimed, owner="A") == ["done"] * 9
    assert Delivery.objects.filter(status="done").count() == 9
    assert len(probe_rows("test.outside")) == 3


def test_one_failing_delivery_does_not_hold_back_another_subscriber():
    publish_many(2)
    support.ALWAYS_FAIL.add("k0")
    claimed = bus.claim(owner="A")
    outcomes = dict(
        zip(
            [(d.subscriber, d.event.payload["key"]) for d in claimed],
            bus.run(claimed, owner="A"),
            strict=True,
        )
    )
    assert outcomes[("test.record", "k0")] == "retry"
    assert outcomes[("test.record", "k1")] == "done"
    assert outcomes[("test.other", "k0")] == "done"


def test_the_worker_delivers_a_backlog_in_batches():
    publish_many(30)
    assert Worker(batch=50, poll=0).run_until_idle() == 60
    assert Delivery.objects.filter(status="done").count() == 60
    assert len(probe_rows("test.record")) == len(probe_rows("test.other")) == 30


def test_after_a_thin_claim_the_worker_waits_a_little_for_more(monkeypatch):
    """Claims cost the database about the same whatever they hold: at a trickle the worker waits a
    quarter of its poll interval before the next claim, none after a full one, and the whole
    interval when nothing was due."""
    worker = Worker(batch=200, poll=0.2)
    claims = iter([200, 6, 0])
    slept: list[float] = []
    monkeypatch.setattr(worker, "run_once", lambda owner: next(claims))
    monkeypatch.setattr("market.bus.worker.close_old_connections", lambda: None)

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:
            worker.stop()

    worker.run_forever(sleep=sleep)

    assert slept == [0.05, 0.2]


def publish_texts(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            bus.publish(support.Texted(key=f"t{i}"))


def test_an_outside_world_subscriber_gets_small_batches_outside_any_transaction():
    publish_texts(bus.OUTSIDE_BATCH + 3)
    claimed = bus.claim(owner="A", subscriber="test.texts")
    assert bus.run(claimed, owner="A") == ["done"] * (bus.OUTSIDE_BATCH + 3)
    assert [len(keys) for keys in support.TEXT_BATCHES] == [bus.OUTSIDE_BATCH, 3]
    assert statuses("test.texts") == [("done", 1)] * (bus.OUTSIDE_BATCH + 3)


def test_a_failing_outside_world_batch_is_not_repeated_at_once_but_retried_later():
    publish_texts(3)
    support.ALWAYS_FAIL.add("t1")
    claimed = bus.claim(owner="A", subscriber="test.texts")
    assert bus.run(claimed, owner="A") == ["retry"] * 3
    # The calls made before the failure happened (they cannot be taken back); none was repeated.
    assert [key for _, key, *_ in probe_rows("test.texts")] == ["t0", "t1"]
    assert statuses("test.texts") == [("pending", 1)] * 3
    support.ALWAYS_FAIL.clear()
    assert bus.drain(subscriber="test.texts", now=timezone.now() + timedelta(hours=1)) == 3
