"""Events that fire with time: stored with the scheduling transaction, fired once at or after
their time through the normal delivery path, cancellable by key. A fake clock drives them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from market import bus
from market.bus import scheduling
from market.bus.worker import Worker
from market.events import Event
from market.models import Delivery, EventRecord, ScheduledMessage


@dataclass(frozen=True, kw_only=True)
class HoldExpired(Event):
    """The toy: what a hold's expiry (a later issue) will look like."""

    type: ClassVar[str] = "test.HoldExpired"
    aggregate_type: ClassVar[str] = "hold"
    hold: str

    @property
    def aggregate_id(self) -> str:
        return self.hold


EXPIRED: list[tuple[str, str]] = []  # (hold, event id) per handler run that succeeded
FAIL_TIMES: dict[str, int] = {}


@bus.durable(HoldExpired, id="test.expire_hold")
def expire_hold(event: HoldExpired) -> None:
    if FAIL_TIMES.get(event.hold):
        FAIL_TIMES[event.hold] -= 1
        raise RuntimeError("not now")
    EXPIRED.append((event.hold, str(event.event_id)))


class FakeClock:
    def __init__(self) -> None:
        self.at = timezone.now().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(scheduling, "now", fake)
    monkeypatch.setattr(scheduling, "FIRE_EVERY_SECONDS", 0)
    EXPIRED.clear()
    FAIL_TIMES.clear()
    return fake


def schedule(hold: str, clock: FakeClock, *, minutes: int = 10, key: str | None = None) -> HoldExpired:
    with transaction.atomic():
        return bus.schedule(HoldExpired(hold=hold), at=clock() + timedelta(minutes=minutes), key=key)


def fired(hold: str) -> list[EventRecord]:
    return list(EventRecord.objects.filter(type=HoldExpired.type, aggregate_id=hold))


@pytest.mark.django_db
def test_a_message_fires_once_at_its_time_through_the_normal_delivery_path(clock, drain):
    scheduled = schedule("h1", clock, key="hold:h1")
    clock.advance(minutes=9, seconds=59)
    assert bus.fire_due() == 0 and fired("h1") == []
    clock.advance(seconds=1)
    assert bus.fire_due() == 1
    [record] = fired("h1")
    assert record.event_id == scheduled.event_id and record.occurred_at == clock()
    assert Delivery.objects.get(event=record, subscriber="test.expire_hold").status == "pending"
    drain()
    assert [("h1", str(scheduled.event_id))] == EXPIRED
    clock.advance(hours=1)
    assert bus.fire_due() == 0 and len(fired("h1")) == 1  # once
    assert not ScheduledMessage.objects.exists()


@pytest.mark.django_db
def test_scheduling_rolls_back_with_its_transaction(clock):
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic():
        bus.schedule(HoldExpired(hold="h2"), at=clock() + timedelta(minutes=1), key="hold:h2")
        raise RuntimeError("boom")
    assert scheduling.scheduled("hold:h2") is None
    clock.advance(hours=1)
    assert bus.fire_due() == 0


@pytest.mark.django_db(transaction=True)
def test_scheduling_and_cancelling_need_a_transaction(clock):
    with pytest.raises(RuntimeError, match="inside transaction"):
        bus.schedule(HoldExpired(hold="h"), at=clock())
    with pytest.raises(RuntimeError, match="inside transaction"):
        bus.cancel_scheduled("k")


@pytest.mark.django_db
def test_cancel_by_key_is_transactional_too(clock):
    schedule("h3", clock, key="hold:h3")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert bus.cancel_scheduled("hold:h3") is True
        raise RuntimeError("the cancelling command failed")
    assert scheduling.scheduled("hold:h3") is not None  # the cancel rolled back
    with transaction.atomic():
        assert bus.cancel_scheduled("hold:h3") is True
        assert bus.cancel_scheduled("hold:h3") is False
    clock.advance(hours=1)
    assert bus.fire_due() == 0 and fired("h3") == []


@pytest.mark.django_db
def test_scheduling_again_under_a_key_replaces_the_message(clock):
    schedule("h4", clock, minutes=5, key="hold:h4")
    second = schedule("h4", clock, minutes=30, key="hold:h4")
    assert ScheduledMessage.objects.count() == 1
    clock.advance(minutes=10)
    assert bus.fire_due() == 0
    clock.advance(minutes=20)
    assert bus.fire_due() == 1
    assert [r.event_id for r in fired("h4")] == [second.event_id]


@pytest.mark.django_db
def test_due_messages_fire_oldest_first_and_keep_their_chain(clock):
    with transaction.atomic(), bus.chain("job-42"):
        late = bus.schedule(HoldExpired(hold="late"), at=clock() + timedelta(minutes=2))
        early = bus.schedule(HoldExpired(hold="early"), at=clock() + timedelta(minutes=1))
    clock.advance(minutes=5)
    assert bus.fire_due() == 2
    records = list(EventRecord.objects.filter(type=HoldExpired.type).order_by("id"))
    assert [r.event_id for r in records] == [early.event_id, late.event_id]
    assert {(r.correlation_id, r.causation_id) for r in records} == {("job-42", "job-42")}


@pytest.mark.django_db
@override_settings(EVENTS_DISPATCH="worker", EVENTS_BACKOFF_BASE=0)
def test_the_worker_fires_due_messages_and_a_failure_is_retried_like_any_delivery(clock):
    schedule("h5", clock, minutes=1)
    FAIL_TIMES["h5"] = 1
    worker = Worker(batch=10, poll=0)
    worker.run_once()
    assert fired("h5") == []  # not yet due
    clock.advance(minutes=1)
    worker.run_once()  # fires it, claims the new delivery, the handler fails once
    [record] = fired("h5")
    delivery = Delivery.objects.get(event=record, subscriber="test.expire_hold")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    worker.run_once()
    delivery.refresh_from_db()
    assert delivery.status == "done" and [h for h, _ in EXPIRED] == ["h5"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_several_workers_fire_each_due_message_exactly_once(clock):
    with transaction.atomic():
        for n in range(300):
            bus.schedule(HoldExpired(hold=f"m{n}"), at=clock() + timedelta(seconds=n % 7))
    clock.advance(minutes=1)
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def fire() -> None:
        try:
            start.wait()
            total = 0
            while n := scheduling.fire_due(limit=7):
                total += n
            counts.append(total)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(counts) == 300 and len([c for c in counts if c]) > 1  # shared, and each fired once
    assert EventRecord.objects.filter(type=HoldExpired.type).count() == 300
    assert not ScheduledMessage.objects.exists()


@pytest.mark.django_db
def test_a_trace_shows_what_its_chain_still_has_scheduled(clock):
    from market.bus import tracing

    with transaction.atomic(), bus.chain("job-trace"):
        bus.publish(HoldExpired(hold="now"))
        bus.schedule(HoldExpired(hold="later"), at=clock() + timedelta(minutes=15), key="hold:later")
    text = tracing.trace("job-trace").text()
    assert text.startswith("chain job-trace: 1 event(s), 1 scheduled")
    assert "(scheduled) test.HoldExpired due" in text and "key=hold:later" in text
