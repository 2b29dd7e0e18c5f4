"""Event subscribers of the reservation context."""

from __future__ import annotations

from django.db import transaction

from market import events
from market.bus import durable, in_transaction, publish_many
from reservation.models import Reservation


def listing_copy(reserved: events.ProductReserved) -> dict[str, object]:
    """The listing as reserved (seller, name, price), as the reservation keeps it. Used by
    ``record_listing`` for the row and by ``reservation_place`` for the instance it returns, so
    both hold the same values. ``updated_at`` stays as placing set it: the copy is part of
    placing, in the same transaction."""
    return {"seller_id": reserved.seller_id, "product_name": reserved.product_name, "price": int(reserved.price)}


@in_transaction(events.ProductReserved, id="reservation.record_listing")
def record_listing(event: events.ProductReserved) -> None:
    """Copy the listing as reserved (seller, name, price) onto the reservation, so sellers can list
    reservations of their products and a cancel can tell the others what was cancelled."""
    Reservation.objects.filter(pk=event.reservation_id).update(**listing_copy(event))


@durable(events.PaymentCompleted, id="reservation.complete_on_payment", batch=True)
def complete_on_payment(paid: list[events.PaymentCompleted]) -> None:
    """Paid: the deal is done. For one event or a worker's batch: lock the reservations that
    ``Reservation.transitions`` lets complete (one query), complete them by its conditional UPDATE
    (one statement) and publish ReservationCompleted for each (one statement). Idempotent: a
    redelivery finds them completed already."""
    sellers = {event.reservation_id: event.seller_id for event in paid}
    rows = {pk: {} for pk in sellers}  # completing has no guard: no arguments per row
    with transaction.atomic(savepoint=False):  # inside the delivery's transaction: no SAVEPOINT
        completed = list(
            Reservation.objects.select_for_update()
            .filter(Reservation.transitions.matching("complete", rows))
            .order_by("pk")
        )
        if not completed:
            return
        Reservation.transitions.update_many("complete", {reservation.pk: {} for reservation in completed})
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
