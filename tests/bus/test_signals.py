"""Blinker is the one way every handler is called: a receiver connected to an event's signal (a
tracer, a metrics hook) sees every call, in the publisher's transaction and for every durable
delivery, inline or in the worker, alone or in a batch."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction

from market import bus
from market.bus.worker import Worker
from market.models import Delivery
from tests.bus import support
from tests.bus.support import Closed, Opened, Pinged, Texted


@pytest.fixture
def tracer():
    """Everything sent on test.Pinged's and test.Texted's signals: (sender, event key, keys of
    the batch it was run with)."""
    seen: list[tuple[str, str, list[str]]] = []

    def trace(sender, *, event, batch=None):
        seen.append((sender, event.key, [e.key for e in batch or [event]]))

    for event_class in (Pinged, Texted):
        bus.signal(event_class.type).connect(trace)
    yield seen
    for event_class in (Pinged, Texted):
        bus.signal(event_class.type).disconnect(trace)


@pytest.fixture(autouse=True)
def probe():
    support.ensure_probe_table()
    support.ALWAYS_FAIL.clear()
    support.TEXT_BATCHES.clear()
    yield
    support.ALWAYS_FAIL.clear()


def delivered(seen, sender: str) -> list[str]:
    return sorted(key for s, key, _ in seen if s == sender)


@pytest.mark.parametrize("dispatch", ["inline", "worker"])
@pytest.mark.django_db(transaction=True)
def test_a_receiver_sees_the_in_transaction_call_and_every_durable_delivery(settings, tracer, dispatch):
    support.ensure_probe_table()
    settings.EVENTS_DISPATCH = dispatch
    for key in ("a", "b", "c"):
        with transaction.atomic():
            bus.publish(Pinged(key=key))
    assert delivered(tracer, bus.IN_TRANSACTION) == ["a", "b", "c"]
    if dispatch == "worker":
        assert delivered(tracer, "test.record") == []  # nothing ran yet
        assert Worker(batch=50, poll=0).run_once() == 6
        # The worker ran each subscriber's three deliveries together: the tracer sees each
        # delivery, with the batch it ran in.
        assert [(s, key, batch) for s, key, batch in tracer if s == "test.record"] == [
            ("test.record", key, ["a", "b", "c"]) for key in ("a", "b", "c")
        ]
    else:
        assert {batch_keys == [key] for _, key, batch_keys in tracer} == {True}  # inline: one at a time
    assert delivered(tracer, "test.record") == delivered(tracer, "test.other") == ["a", "b", "c"]
    assert Counter(s for s, _, _ in tracer) == {bus.IN_TRANSACTION: 3, "test.record": 3, "test.other": 3}
    assert Delivery.objects.filter(status="done").count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_receiver_sees_every_delivery_of_a_list_taking_handler(settings, tracer):
    support.ensure_probe_table()
    settings.EVENTS_DISPATCH = "worker"
    for i in range(3):
        with transaction.atomic():
            bus.publish(Texted(key=f"t{i}"))
    assert Worker(batch=50, poll=0).run_once() == 3
    # The handler (atomic=False, batch=True) got its list once, from the send of its last event.
    assert support.TEXT_BATCHES == [["t0", "t1", "t2"]]
    assert [(s, key) for s, key, _ in tracer if s == "test.texts"] == [("test.texts", f"t{i}") for i in range(3)]


@pytest.mark.django_db
def test_a_list_taking_handler_of_several_event_types_gets_one_list_in_order(settings):
    settings.EVENTS_DISPATCH = "worker"
    support.DOOR_BATCHES.clear()
    seen = []

    def trace(sender, *, event, batch=None):
        seen.append((event.type, sender))

    for event_class in (Opened, Closed):
        bus.signal(event_class.type).connect(trace)
    try:
        with transaction.atomic():
            bus.publish_many([Opened(key="d1"), Closed(key="d2"), Opened(key="d3")])
        assert bus.drain() == 3
    finally:
        for event_class in (Opened, Closed):
            bus.signal(event_class.type).disconnect(trace)
    assert support.DOOR_BATCHES == [["test.Opened:d1", "test.Closed:d2", "test.Opened:d3"]]
    assert [t for t, s in seen if s == "test.doors"] == ["test.Opened", "test.Closed", "test.Opened"]


@pytest.mark.django_db
def test_a_receiver_sees_the_deliveries_of_a_batch_run_again_one_by_one(settings, tracer):
    settings.EVENTS_DISPATCH = "worker"
    for key in ("k0", "k1", "k2"):
        with transaction.atomic():
            bus.publish(Pinged(key=key))
    support.ALWAYS_FAIL.add("k1")
    claimed = bus.claim(owner="A", subscriber="test.record")
    assert bus.run(claimed, owner="A") == ["done", "retry", "done"]
    # The batch failed as a whole at k1 (its sends seen up to there), then each delivery ran
    # alone, each seen on its own send. (Whether the tracer saw k1's failing sends depends on
    # the order blinker calls receivers in: the handler's exception ends a send.)
    record = [(key, batch) for s, key, batch in tracer if s == "test.record"]
    whole = ["k0", "k1", "k2"]
    assert ("k0", whole) in record and ("k2", whole) not in record
    assert ("k0", ["k0"]) in record and ("k2", ["k2"]) in record


@pytest.mark.django_db
def test_a_durable_delivery_reaches_its_own_subscriber_only(settings, tracer):
    settings.EVENTS_DISPATCH = "worker"
    with transaction.atomic():
        bus.publish(Pinged(key="x"))
    (delivery,) = bus.claim(owner="A", subscriber="test.record")
    assert bus.run([delivery], owner="A") == ["done"]
    assert [row[0] for row in support.probe_rows()] == ["test.record"]  # test.other's handler did not run
    assert tracer[-1] == ("test.record", "x", ["x"])


@pytest.mark.django_db
def test_the_registry_is_the_one_source_of_who_listens():
    subscribers = bus.subscribers()
    assert {"test.record", "test.other"} <= {s.id for s in subscribers.values() if Pinged.type in s.event_types}
    assert bus.registry.durable_ids_for(Pinged.type) == ("test.record", "test.other")
    record = subscribers["test.record"]
    # Its signal connection is derived from the registry entry: connected for its own id only.
    assert record.receiver in list(bus.signal(Pinged.type).receivers_for("test.record"))
    assert record.receiver not in list(bus.signal(Pinged.type).receivers_for(bus.IN_TRANSACTION))
