"""Event subscribers of the reservation context."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from market import events
from market.bus import durable, in_transaction, publish
from reservation.models import Reservation


@in_transaction(events.ProductReserved, id="reservation.record_listing")
def record_listing(event: events.ProductReserved) -> None:
    """Copy the listing as reserved (seller, name, price) onto the reservation, so sellers can list
    reservations of their products and a cancel can tell the others what was cancelled."""
    Reservation.objects.filter(pk=event.reservation_id).update(
        seller_id=event.seller_id,
        product_name=event.name,
        price=int(event.price),
        updated_at=timezone.now(),
    )


@durable(events.PaymentCompleted, id="reservation.complete_on_payment")
def complete_on_payment(event: events.PaymentCompleted) -> None:
    """Paid: the deal is done. Idempotent (a redelivery finds it completed already)."""
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().filter(pk=event.reservation_id).first()
        if reservation is None or not reservation.complete():
            return
        reservation.save(update_fields=["status", "updated_at"])
        publish(
            events.ReservationCompleted(
                reservation_id=reservation.pk,
                product_id=reservation.product_id,
                buyer_id=reservation.buyer_id,
                seller_id=reservation.seller_id or event.seller_id,
            )
        )
