"""``bus.Unavailable``: a handler whose outside world cannot be reached makes its deliveries wait
without counting attempts (an outage grows the backlog, never the dead letters)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from market import bus
from market.bus import registry
from market.models import Delivery
from tests.bus.support import Called

pytestmark = pytest.mark.django_db

DOWN = {"down": True}


@pytest.fixture
def outside():
    def handler(events):
        if DOWN["down"]:
            raise bus.Unavailable("the broker is down", retry_after=30)

    registry.register(
        registry.Subscriber(
            id="test.unreachable", event_types=(Called.type,), handler=handler, durable=True, atomic=False, batch=True
        )
    )
    DOWN["down"] = True
    yield
    registry.unregister("test.unreachable")


def test_an_unreachable_outside_world_counts_no_attempt(outside, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    with transaction.atomic():
        bus.publish_many([Called(key="a"), Called(key="b")])
    for _ in range(3):
        bus.drain(subscriber="test.unreachable")
        Delivery.objects.filter(subscriber="test.unreachable").update(available_at=timezone.now())
    deliveries = Delivery.objects.filter(subscriber="test.unreachable")
    assert {(d.status, d.attempts) for d in deliveries} == {("pending", 0)}
    assert "the broker is down" in deliveries[0].last_error
    DOWN["down"] = False
    assert bus.drain(subscriber="test.unreachable") == 2


def test_the_wait_is_the_one_asked_for(outside):
    with transaction.atomic():
        bus.publish(Called(key="c"))
    before = timezone.now()
    bus.drain(subscriber="test.unreachable")
    delivery = Delivery.objects.get(subscriber="test.unreachable")
    assert 29 <= (delivery.available_at - before).total_seconds() <= 31


def test_unregistering_forgets_the_subscriber(outside):
    assert "test.unreachable" in bus.durable_subscribers()
    registry.unregister("test.unreachable")
    assert "test.unreachable" not in bus.durable_subscribers()
    with transaction.atomic():
        bus.publish(Called(key="d"))
    assert not Delivery.objects.filter(subscriber="test.unreachable").exists()
