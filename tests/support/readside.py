"""Helpers for the read side's tests (my-page, notice, the batch handlers): publish domain events as
the other contexts would, or drive their real commands (the ``trade`` fixture)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from market import bus, events
from market.models import Delivery, EventRecord

_ids = itertools.count(1000)


READ_SIDE = ("mypage.project", "notice.directory", "notice.notify")


def emit(*evts: events.Event, subscribers: tuple[str, ...] = READ_SIDE) -> list[events.Event]:
    """Store events in the log with deliveries for the read side's subscribers only, as if the
    other contexts had published them (their own in-transaction and durable subscribers would
    otherwise act on these made-up ids). Returns the events with their log sequence."""
    stored = []
    now = timezone.now()
    with transaction.atomic():
        for e in evts:
            record = EventRecord.of(e)
            record.save(force_insert=True)
            for sid in subscribers:
                if e.type in bus.subscribers()[sid].event_types:
                    Delivery.objects.create(
                        event=record, subscriber=sid, aggregate_key=e.aggregate_key, available_at=now
                    )
            stored.append(replace(e, sequence=record.pk))
    return stored


class Story:
    """The events of one reservation's life, with plausible values and increasing times."""

    def __init__(self, *, buyer_id: int, seller_id: int, name: str = "책상", price: str = "12000", start=None):
        self.reservation_id = next(_ids)
        self.product_id = next(_ids)
        self.payment_id = next(_ids)
        self.buyer_id = buyer_id
        self.seller_id = seller_id
        self.name = name
        self.price = price
        self.t = start or timezone.now()
        self.step = 0

    def _at(self):
        self.step += 1
        return self.t + timedelta(seconds=self.step)

    def placed(self):
        return events.ReservationPlaced(
            reservation_id=self.reservation_id,
            product_id=self.product_id,
            buyer_id=self.buyer_id,
            buyer_name="buyer",
            occurred_at=self._at(),
        )

    def product_reserved(self):
        return events.ProductReserved(
            product_id=self.product_id,
            reservation_id=self.reservation_id,
            buyer_id=self.buyer_id,
            seller_id=self.seller_id,
            seller_name="seller",
            product_name=self.name,
            price=self.price,
            occurred_at=self._at(),
        )

    def _payment(self, cls):
        return cls(
            payment_id=self.payment_id,
            reservation_id=self.reservation_id,
            product_id=self.product_id,
            buyer_id=self.buyer_id,
            seller_id=self.seller_id,
            amount=self.price,
            occurred_at=self._at(),
        )

    def payment_requested(self):
        return self._payment(events.PaymentRequested)

    def payment_completed(self):
        return self._payment(events.PaymentCompleted)

    def payment_voided(self):
        return self._payment(events.PaymentVoided)

    def completed(self):
        return events.ReservationCompleted(
            reservation_id=self.reservation_id,
            product_id=self.product_id,
            buyer_id=self.buyer_id,
            seller_id=self.seller_id,
            occurred_at=self._at(),
        )

    def sold_out(self):
        return events.ProductSoldOut(
            product_id=self.product_id,
            reservation_id=self.reservation_id,
            buyer_id=self.buyer_id,
            seller_id=self.seller_id,
            product_name=self.name,
            occurred_at=self._at(),
        )

    def cancelled(self):
        return events.ReservationCancelled(
            reservation_id=self.reservation_id,
            product_id=self.product_id,
            buyer_id=self.buyer_id,
            seller_id=self.seller_id,
            product_name=self.name,
            price=self.price,
            occurred_at=self._at(),
        )

    def released(self):
        return events.ProductReleased(
            product_id=self.product_id,
            reservation_id=self.reservation_id,
            buyer_id=self.buyer_id,
            seller_id=self.seller_id,
            product_name=self.name,
            occurred_at=self._at(),
        )

    def reserve_events(self):
        return [self.placed(), self.product_reserved(), self.payment_requested()]

    def pay_events(self):
        return [self.payment_completed(), self.completed(), self.sold_out()]

    def cancel_events(self):
        return [self.cancelled(), self.payment_voided(), self.released()]


def snapshot_mypage() -> dict:
    """Every column of the read model (timeline without its surrogate id)."""
    from mypage.models import MyPageRow, TimelineEntry

    rows = [
        {f.attname: getattr(r, f.attname) for f in MyPageRow._meta.fields}
        for r in MyPageRow.objects.order_by("reservation_id")
    ]
    timeline = [
        {f.attname: getattr(t, f.attname) for f in TimelineEntry._meta.fields if f.attname != "id"}
        for t in TimelineEntry.objects.order_by("event_id")
    ]
    return {"rows": rows, "timeline": timeline}


class Trade:
    """The real commands of the other contexts, driven as a user would, plus ``drain``. (Not the
    ``market`` fixture of tests/conftest.py, which is a fixed set of products and a reservation.)"""

    def __init__(self) -> None:
        from payment.services import payment_pay
        from product.services import product_register
        from reservation.services import reservation_cancel, reservation_place

        self._register, self._place, self._cancel, self._pay = (
            product_register,
            reservation_place,
            reservation_cancel,
            payment_pay,
        )

    def product(self, seller, name: str = "책상", price: int = 12000) -> int:
        return self._register(seller=seller, name=name, price=price).pk

    def reserve(self, buyer, product_id: int) -> int:
        reservation = self._place(buyer=buyer, product_id=product_id)
        bus.drain()
        return reservation.pk

    @staticmethod
    def payment_id(reservation_id: int) -> int | None:
        return (
            EventRecord.objects.filter(type="PaymentRequested", payload__reservation_id=reservation_id)
            .values_list("payload__payment_id", flat=True)
            .first()
        )

    def pay(self, buyer, reservation_id: int) -> None:
        self._pay(payment_id=self.payment_id(reservation_id), actor=buyer)
        bus.drain()

    def cancel(self, buyer, reservation_id: int) -> None:
        self._cancel(reservation_id=reservation_id, actor=buyer)
        bus.drain()
