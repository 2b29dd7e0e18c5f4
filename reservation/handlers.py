"""Event subscribers of the reservation context."""

from __future__ import annotations

from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from market import events
from market.bus import durable, in_transaction, publish_many
from reservation.models import Reservation

# The reservation ``reservation_place`` is placing in this thread (or task): ``record_listing``
# fills in that instance too, so the command returns it complete without reading the row back.
# Set and reset by the command around its publish; a context variable, so threads never mix.
being_placed: ContextVar[Reservation | None] = ContextVar("reservation_being_placed", default=None)


@in_transaction(events.ProductReserved, id="reservation.record_listing")
def record_listing(event: events.ProductReserved) -> None:
    """Copy the listing as reserved (seller, name, price) onto the reservation, so sellers can list
    reservations of their products and a cancel can tell the others what was cancelled."""
    listing = {
        "seller_id": event.seller_id,
        "product_name": event.product_name,
        "price": int(event.price),
        "updated_at": timezone.now(),
    }
    Reservation.objects.filter(pk=event.reservation_id).update(**listing)
    placed = being_placed.get()
    if placed is not None and placed.pk == event.reservation_id:
        for name, value in listing.items():
            setattr(placed, name, value)


@durable(events.PaymentCompleted, id="reservation.complete_on_payment", batch=True)
def complete_on_payment(paid: list[events.PaymentCompleted]) -> None:
    """Paid: the deal is done. For one event or a worker's batch: lock the reservations (one
    query), let each make its own transition, save those that changed (one UPDATE) and publish
    ReservationCompleted for each (one statement). Idempotent: a redelivery finds them
    completed already."""
    sellers = {event.reservation_id: event.seller_id for event in paid}
    with transaction.atomic(savepoint=False):  # inside the delivery's transaction: no SAVEPOINT
        locked = Reservation.objects.select_for_update().filter(pk__in=list(sellers)).order_by("pk")
        completed = [reservation for reservation in locked if reservation.complete()]
        if not completed:
            return
        now = timezone.now()
        for reservation in completed:
            reservation.updated_at = now  # bulk_update does not touch auto_now fields
        Reservation.objects.bulk_update(completed, ["status", "updated_at"])
        publish_many(
            [
                events.ReservationCompleted(
                    reservation_id=reservation.pk,
                    product_id=reservation.product_id,
                    buyer_id=reservation.buyer_id,
                    seller_id=reservation.seller_id or sellers[reservation.pk],
                )
                for reservation in completed
            ]
        )
