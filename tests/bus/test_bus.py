"""The event bus: publishing, the two kinds of subscribers, retries, order, pausing, the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from market import bus
from market.bus.worker import Worker
from market.errors import Conflict
from market.models import Delivery, EventRecord
from tests.bus import support
from tests.bus.support import Pinged, probe_rows, publish

LATER = timedelta(hours=1)


pytestmark = pytest.mark.usefixtures("probe")


def run_round(*, subscriber: str = "test.record", now=None) -> None:
    """One pass of the worker at time ``now``: claim what is due then, run it once."""
    for delivery in bus.claim(owner="test-worker", subscriber=subscriber, now=now):
        bus.run([delivery], owner="test-worker")  # one by one: each handler call is one attempt


def run_one(delivery: Delivery, *, owner: str) -> str:
    (outcome,) = bus.run([delivery], owner=owner)
    return outcome


def deliveries(subscriber: str) -> list[Delivery]:
    return list(Delivery.objects.filter(subscriber=subscriber).order_by("id"))


# --- publishing ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        bus.publish(Pinged(key="a"))


def test_publishing_costs_two_inserts_and_one_statement_on_postgres(django_assert_max_num_queries):
    statements = 1 if connection.vendor == "postgresql" else 2
    with transaction.atomic(), django_assert_max_num_queries(statements) as captured:
        bus.publish(Pinged(key="a"))
    assert len(captured.captured_queries) == statements
    assert all(q["sql"].lstrip().startswith(("INSERT", "WITH")) for q in captured.captured_queries)
    assert EventRecord.objects.count() == 1
    assert {d.subscriber for d in Delivery.objects.all()} == {"test.record", "test.other"}


def test_events_published_by_in_transaction_subscribers_are_stored_together_in_order(django_assert_max_num_queries):
    statements = 1 if connection.vendor == "postgresql" else 4  # SQLite: event + deliveries, twice
    with transaction.atomic(), django_assert_max_num_queries(statements):
        event = bus.publish(Pinged(key="a", n=100))  # test.chain publishes Counted(n=100) inside
    records = list(EventRecord.objects.order_by("id"))
    assert [r.type for r in records] == ["test.Pinged", "test.Counted"]
    assert event.sequence == records[0].pk
    deliveries = Delivery.objects.order_by("id").values_list("event__type", "subscriber")
    # Delivery ids follow publication order: what per-aggregate ordering relies on.
    assert list(deliveries) == [
        ("test.Pinged", "test.record"),
        ("test.Pinged", "test.other"),
        ("test.Counted", "test.count"),
    ]


@pytest.mark.django_db(transaction=True)
def test_inline_dispatch_gets_the_new_delivery_ids_from_the_publishing_statement(settings):
    support.ensure_probe_table()
    settings.EVENTS_DISPATCH = "inline"
    with transaction.atomic():
        event = bus.publish(Pinged(key="a", n=1))
        bus.publish(support.Called(key="010"))
        assert Delivery.objects.filter(event_id=event.sequence).count() == 2
    # After commit both of Pinged's subscribers and the outside one ran, each exactly its own delivery.
    assert sorted(r[0] for r in probe_rows()) == ["test.other", "test.outside", "test.record"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}
    assert set(Delivery.objects.values_list("aggregate_key", flat=True)) == {"probe:a", "phone:010"}


def test_published_event_is_stored_with_its_envelope():
    event = publish(Pinged(key="k", n=3))
    record = EventRecord.objects.get()
    assert record.event_id == event.event_id
    assert (record.type, record.version, record.aggregate_type, record.aggregate_id) == ("test.Pinged", 1, "probe", "k")
    assert record.payload == {"key": "k", "n": 3}
    assert record.to_event() == Pinged(key="k", n=3, event_id=event.event_id, occurred_at=record.occurred_at)
    assert event.sequence == record.pk


def test_a_rolled_back_publisher_publishes_nothing():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        bus.publish(Pinged(key="a"))
        1 / 0  # noqa: B018  (the command fails after publishing)
    assert not EventRecord.objects.exists()
    assert not Delivery.objects.exists()


def test_an_in_transaction_subscriber_vetoes_the_whole_command():
    def command():
        with transaction.atomic():
            support._write("command", Pinged(key="x"), "x", 0)  # the command's own write
            bus.publish(Pinged(key="x", n=-1))

    with pytest.raises(Conflict) as raised:
        command()
    assert raised.value.code == "vetoed"
    assert probe_rows() == []
    assert not EventRecord.objects.exists()


def test_events_are_immutable():
    event = Pinged(key="a")
    with pytest.raises(AttributeError):
        event.key = "b"  # type: ignore[misc]


# --- durable subscribers ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_durable_subscribers_run_right_after_commit_in_inline_mode():
    support.ensure_probe_table()
    publish(Pinged(key="a"))
    assert [r[0] for r in probe_rows()] == ["test.record", "test.other"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}


@pytest.mark.django_db(transaction=True)
def test_worker_only_dispatch_waits_for_the_worker(settings):
    support.ensure_probe_table()
    settings.EVENTS_DISPATCH = "worker"
    publish(Pinged(key="a"))
    assert probe_rows() == []
    assert Worker(poll=0).run_once() == 2
    assert len(probe_rows()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_fails_neither_the_publisher_nor_other_subscribers():
    support.ensure_probe_table()
    support.ALWAYS_FAIL.add("bad")
    event = publish(Pinged(key="bad"))  # returns normally
    assert EventRecord.objects.filter(event_id=event.event_id).exists()
    assert [r[0] for r in probe_rows()] == ["test.other"]
    (failed,) = deliveries("test.record")
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "always fails" in failed.last_error


def test_failures_are_retried_with_growing_delays_then_dead(settings):
    settings.EVENTS_MAX_ATTEMPTS = 4
    settings.EVENTS_BACKOFF_BASE = 10
    support.ALWAYS_FAIL.add("bad")
    publish(Pinged(key="bad"))
    delays = []
    for round_ in range(4):
        before = timezone.now()
        run_round(now=before + (LATER if round_ else timedelta(0)))
        (delivery,) = deliveries("test.record")
        assert delivery.attempts == round_ + 1
        if delivery.status == "pending":
            delays.append((delivery.available_at - before).total_seconds())
    assert delivery.status == "dead"
    assert [round(d) for d in delays] == [10, 20, 40]
    # Dead is kept and visible, never dropped; requeue gives it a fresh start.
    assert next(b for b in bus.backlog() if b.subscriber == "test.record").dead == 1
    support.ALWAYS_FAIL.clear()
    assert bus.requeue(subscriber="test.record") == 1
    assert bus.drain(subscriber="test.record") == 1
    assert deliveries("test.record")[0].status == "done"


def test_a_handlers_writes_and_its_done_mark_commit_together():
    support.FAILURES[("k", 0)] = 1
    publish(Pinged(key="k"))
    bus.drain(subscriber="test.record")
    assert probe_rows("test.record") == []  # the failed attempt's write was rolled back
    assert deliveries("test.record")[0].status == "pending"
    bus.drain(subscriber="test.record", now=timezone.now() + LATER)
    assert len(probe_rows("test.record")) == 1
    # A completed delivery never runs again.
    bus.drain(now=timezone.now() + LATER)
    assert len(probe_rows("test.record")) == 1


def test_events_of_one_aggregate_are_handled_in_order_also_across_retries():
    support.FAILURES[("A", 1)] = 2
    publish(Pinged(key="A", n=1))
    publish(Pinged(key="A", n=2))
    publish(Pinged(key="B", n=1))
    run_round()
    # A/1 is failing, so A/2 waits behind it; B is another aggregate and goes on.
    assert [(r[1], r[2]) for r in probe_rows("test.record")] == [("B", 1)]
    run_round(now=timezone.now() + LATER)
    assert [(r[1], r[2]) for r in probe_rows("test.record")] == [("B", 1)]
    run_round(now=timezone.now() + LATER)
    assert [(r[1], r[2]) for r in probe_rows("test.record")] == [("B", 1), ("A", 1)]
    run_round()  # A/2 becomes claimable once A/1 is done
    assert [(r[1], r[2]) for r in probe_rows("test.record")] == [("B", 1), ("A", 1), ("A", 2)]


def test_a_dead_delivery_is_set_aside_and_no_longer_blocks_its_aggregate(settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    support.FAILURES[("A", 1)] = 1
    publish(Pinged(key="A", n=1))
    publish(Pinged(key="A", n=2))
    bus.drain(subscriber="test.record")
    assert [d.status for d in deliveries("test.record")] == ["dead", "done"]


def test_a_paused_subscriber_waits_and_drains_when_resumed():
    bus.pause("test.record")
    publish(Pinged(key="a"))
    bus.drain()
    assert [r[0] for r in probe_rows()] == ["test.other"]
    row = next(b for b in bus.backlog() if b.subscriber == "test.record")
    assert (row.paused, row.pending, row.failing) == (True, 1, 0)
    bus.resume("test.record")
    assert bus.drain() == 1
    assert len(probe_rows("test.record")) == 1


def test_unknown_subscribers_cannot_be_paused():
    with pytest.raises(LookupError, match="unknown durable subscriber"):
        bus.pause("nobody.listens")
    with pytest.raises(LookupError):
        bus.pause("test.veto")  # in-transaction subscribers have no deliveries to hold


# --- claiming and the worker -----------------------------------------------------------------


def test_an_expired_lease_is_claimed_again_and_the_old_holder_is_skipped(settings):
    publish(Pinged(key="a"))
    (delivery,) = deliveries("test.record")
    (held_by_a,) = bus.claim(owner="A", subscriber="test.record")
    assert held_by_a.pk == delivery.pk
    assert bus.claim(owner="B", subscriber="test.record") == []  # still leased to A
    later = timezone.now() + timedelta(seconds=settings.EVENTS_LEASE_SECONDS + 1)
    (held_by_b,) = bus.claim(owner="B", subscriber="test.record", now=later)
    assert held_by_b.pk == delivery.pk
    assert run_one(held_by_a, owner="A") == "skipped"
    assert run_one(held_by_b, owner="B") == "done"
    assert len(probe_rows("test.record")) == 1


def take_over(delivery_id: int, settings, owner: str = "B") -> list[Delivery]:
    """Another worker claims ``delivery_id`` once the current lease has expired."""
    later = timezone.now() + timedelta(seconds=settings.EVENTS_LEASE_SECONDS + 1)
    claimed = bus.claim(owner=owner, only_ids=[delivery_id], now=later)
    assert [d.pk for d in claimed] == [delivery_id]
    return claimed


def test_the_claim_brings_the_event_so_running_a_delivery_reads_nothing(django_assert_max_num_queries):
    publish(Pinged(key="a", n=4))
    with django_assert_max_num_queries(4) as claim_queries:  # SAVEPOINT, SELECT ... JOIN, UPDATE, RELEASE
        (delivery,) = bus.claim(owner="A", subscriber="test.record")
    assert [q["sql"].split()[0] for q in claim_queries.captured_queries if "market_delivery" in q["sql"]] == [
        "SELECT",
        "UPDATE",
    ]
    assert (delivery.lease_owner, delivery.event.payload) == ("A", {"key": "a", "n": 4})

    # SAVEPOINT, the handler's INSERT, the conditional done UPDATE, RELEASE: no read of the delivery.
    with django_assert_max_num_queries(4) as run_queries:
        assert run_one(delivery, owner="A") == "done"
    ours = [q["sql"] for q in run_queries.captured_queries if "market_" in q["sql"]]
    assert len(ours) == 1 and ours[0].startswith("UPDATE")
    assert "lease_owner" in ours[0] and "pending" in ours[0]
    assert len(probe_rows("test.record")) == 1


def test_the_done_update_refuses_a_taken_over_lease_and_the_handlers_effects_roll_back(settings):
    publish(Pinged(key="a"))
    (held_by_a,) = bus.claim(owner="A", subscriber="test.record")
    (held_by_b,) = take_over(held_by_a.pk, settings)  # A's lease ran out before A got to it

    # A still runs its handler (nothing is read up front), but its done UPDATE matches no row.
    assert run_one(held_by_a, owner="A") == "skipped"
    assert probe_rows("test.record") == []
    delivery = Delivery.objects.get(pk=held_by_a.pk)
    assert (delivery.status, delivery.attempts, delivery.lease_owner) == ("pending", 0, "B")

    assert run_one(held_by_b, owner="B") == "done"
    assert len(probe_rows("test.record")) == 1  # effects once


def test_a_delivery_whose_lease_was_taken_over_is_skipped_without_running_its_handler(settings):
    publish(Pinged(key="a"))
    (delivery,) = bus.claim(owner="A", subscriber="test.record")
    take_over(delivery.pk, settings)
    ran = []
    support.ON_HANDLE.append(ran.append)
    assert run_one(delivery, owner="A") == "skipped"
    assert ran == []
    assert probe_rows("test.record") == []
    assert Delivery.objects.get(pk=delivery.pk).lease_owner == "B"


def test_a_failure_is_recorded_only_on_a_delivery_we_still_lease(settings):
    support.ALWAYS_FAIL.add("bad")
    publish(Pinged(key="bad"))
    (held_by_a,) = bus.claim(owner="A", subscriber="test.record")
    take_over(held_by_a.pk, settings)
    assert run_one(held_by_a, owner="A") == "skipped"
    delivery = Delivery.objects.get(pk=held_by_a.pk)
    assert (delivery.attempts, delivery.last_error, delivery.lease_owner) == (0, "", "B")


def test_a_finished_delivery_is_not_run_again_by_a_stale_holder():
    publish(Pinged(key="a"))
    (delivery,) = bus.claim(owner="A", subscriber="test.record")
    assert run_one(delivery, owner="A") == "done"
    assert run_one(delivery, owner="A") == "skipped"  # the in-memory row is stale now
    assert len(probe_rows("test.record")) == 1


@pytest.mark.django_db(transaction=True)
def test_an_outside_world_subscriber_cannot_mark_done_a_delivery_taken_over_meanwhile(settings):
    support.ensure_probe_table()
    settings.EVENTS_DISPATCH = "worker"
    publish(support.Called(key="010"))
    (held_by_a,) = bus.claim(owner="A", subscriber="test.outside")
    (held_by_b,) = take_over(held_by_a.pk, settings)
    # atomic=False: the call happens (it cannot be taken back, hence idempotency keys), but A
    # cannot mark the delivery done; it stays B's.
    assert run_one(held_by_a, owner="A") == "skipped"
    assert Delivery.objects.get(pk=held_by_a.pk).lease_owner == "B"
    assert run_one(held_by_b, owner="B") == "done"
    assert len(probe_rows("test.outside")) == 2
    assert Delivery.objects.get(pk=held_by_a.pk).status == "done"


def test_the_worker_stops_after_the_transaction_in_hand_and_gives_back_the_rest():
    for n in range(3):
        publish(Pinged(key=f"k{n}"))
    worker = Worker(batch=10, poll=0)
    support.ON_HANDLE.append(lambda event: worker.stop())  # SIGTERM arrives during the first
    worker.run_once()
    rows = list(Delivery.objects.order_by("id").values_list("subscriber", "status", "lease_owner"))
    # The first subscriber's three deliveries ran as one batch (one transaction): it commits whole.
    done = [(subscriber, owner) for subscriber, status, owner in rows if status == "done"]
    assert len(done) == 3 and len({subscriber for subscriber, _ in done}) == 1
    assert {owner for _, owner in done} == {worker.owner}
    pending = [owner for _, status, owner in rows if status == "pending"]
    assert pending and all(owner == "" for owner in pending)


def test_the_worker_stops_after_the_delivery_in_hand_when_it_runs_them_one_by_one():
    for n in range(3):
        publish(support.Called(key=f"k{n}"))  # test.outside (atomic=False): one delivery at a time
    worker = Worker(batch=10, poll=0)
    support.ON_HANDLE.append(lambda event: worker.stop())
    worker.run_once()
    statuses = list(
        Delivery.objects.filter(subscriber="test.outside").order_by("id").values_list("status", "lease_owner")
    )
    assert statuses.count(("done", worker.owner)) == 1
    assert all(owner == "" for status, owner in statuses if status == "pending")


def test_worker_once_command_runs_everything_due(capsys):
    publish(Pinged(key="a"))
    call_command("events_worker", "--once", "--threads", "1")
    assert "ran 2 deliveries" in capsys.readouterr().out
    assert len(probe_rows()) == 2
