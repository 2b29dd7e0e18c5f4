"""The payment's batch handlers (``durable(batch=...)``) request and complete payments exactly as one
event after another would."""

from __future__ import annotations

import pytest
from django.test import override_settings

from market import bus
from market.models import Delivery, EventRecord
from payment.models import Payment

pytestmark = pytest.mark.django_db


@override_settings(EVENTS_DISPATCH="worker")
def test_payments_are_requested_in_a_batch_and_a_cancelled_ones_tombstone_stays_voided(trade, seller, buyer):
    from reservation.services import reservation_cancel, reservation_place

    placed = [reservation_place(buyer=buyer, product_id=trade.product(seller, f"p{i}")).pk for i in range(4)]
    reservation_cancel(reservation_id=placed[0], actor=buyer)  # before its payment exists: a tombstone
    request = Delivery.objects.filter(subscriber="payment.request_payment", status="pending")
    assert request.count() == 4
    claimed = bus.claim(owner="w", subscriber="payment.request_payment")
    assert bus.run(claimed, owner="w") == ["done"] * 4

    statuses = dict(Payment.objects.values_list("reservation_id", "status"))
    assert statuses == {placed[0]: "voided", placed[1]: "unpaid", placed[2]: "unpaid", placed[3]: "unpaid"}
    requested = EventRecord.objects.filter(type="PaymentRequested").values_list("payload__reservation_id", flat=True)
    assert sorted(requested) == sorted(placed[1:])

    Delivery.objects.filter(subscriber="payment.request_payment").update(status="pending", lease_owner="")
    claimed = bus.claim(owner="w", subscriber="payment.request_payment")
    bus.run(claimed, owner="w")  # a redelivery of the whole batch
    assert Payment.objects.count() == 4
    assert EventRecord.objects.filter(type="PaymentRequested").count() == 3


@override_settings(EVENTS_DISPATCH="worker")
@pytest.mark.parametrize("subscriber", ["product.sell_on_payment", "reservation.complete_on_payment"])
def test_payments_complete_in_a_batch_exactly_once(trade, seller, buyer, subscriber):
    from payment.services import payment_pay
    from product.models import Product
    from reservation.models import Reservation
    from reservation.services import reservation_place

    placed = [reservation_place(buyer=buyer, product_id=trade.product(seller, f"p{i}")) for i in range(4)]
    bus.drain()  # payments requested
    for reservation in placed:
        payment_pay(payment_id=trade.payment_id(reservation.pk), actor=buyer)

    def run_batch_of(sid: str) -> list[str]:
        claimed = bus.claim(owner="w", subscriber=sid)
        return bus.run(claimed, owner="w")

    assert run_batch_of(subscriber) == ["done"] * 4
    if subscriber == "product.sell_on_payment":
        assert set(Product.objects.values_list("status", flat=True)) == {"sold_out"}
        published = "ProductSoldOut"
    else:
        assert set(Reservation.objects.values_list("status", flat=True)) == {"completed"}
        published = "ReservationCompleted"
    assert EventRecord.objects.filter(type=published).count() == 4

    Delivery.objects.filter(subscriber=subscriber).update(status="pending", lease_owner="")
    assert run_batch_of(subscriber) == ["done"] * 4  # a redelivery of the batch changes nothing
    assert EventRecord.objects.filter(type=published).count() == 4
