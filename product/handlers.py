"""Event subscribers of the product context.

Each transition is ONE conditional UPDATE (``WHERE status = ... AND held_by_reservation_id = ...``):
the database decides which of two concurrent commands wins, and a redelivered event finds nothing
left to change.
"""

from __future__ import annotations

from django.utils import timezone

from market import events
from market.bus import durable, in_transaction, publish
from market.errors import Conflict, NotFound
from product.models import Product


@in_transaction(events.ReservationPlaced, id="product.hold_for_reservation")
def hold_for_reservation(event: events.ReservationPlaced) -> None:
    """Hold the product for the new reservation, or veto it (the reservation rolls back)."""
    held = (
        Product.objects.filter(pk=event.product_id, status=Product.Status.AVAILABLE)
        .exclude(seller_id=event.buyer_id)
        .update(
            status=Product.Status.PENDING,
            held_by_reservation_id=event.reservation_id,
            updated_at=timezone.now(),
        )
    )
    if not held:
        current = Product.objects.filter(pk=event.product_id).values("seller_id", "status").first()
        if current is None:
            raise NotFound("No such product.", code="product_not_found")
        if current["seller_id"] == event.buyer_id:
            raise Conflict("You cannot reserve your own product.", code="own_product")
        raise Conflict("The product is not available.", code="product_unavailable", status=current["status"])
    product = Product.objects.select_related("seller").get(pk=event.product_id)
    publish(
        events.ProductReserved(
            product_id=product.pk,
            reservation_id=event.reservation_id,
            buyer_id=event.buyer_id,
            seller_id=product.seller_id,
            seller_name=product.seller.get_username(),
            name=product.name,
            price=str(product.price),
        )
    )


@in_transaction(events.ReservationCancelled, id="product.release_on_cancel")
def release_on_cancel(event: events.ReservationCancelled) -> None:
    """The holding reservation was cancelled: available again. A sold-out product stays sold."""
    released = Product.objects.filter(
        pk=event.product_id, status=Product.Status.PENDING, held_by_reservation_id=event.reservation_id
    ).update(status=Product.Status.AVAILABLE, held_by_reservation_id=None, updated_at=timezone.now())
    if released:
        publish(
            events.ProductReleased(
                product_id=event.product_id,
                reservation_id=event.reservation_id,
                buyer_id=event.buyer_id,
                seller_id=event.seller_id,
                name=event.product_name,
            )
        )


@durable(events.PaymentCompleted, id="product.sell_on_payment")
def sell_on_payment(event: events.PaymentCompleted) -> None:
    """The holding reservation was paid: sold out, for good. Idempotent."""
    sold = Product.objects.filter(
        pk=event.product_id, status=Product.Status.PENDING, held_by_reservation_id=event.reservation_id
    ).update(status=Product.Status.SOLD_OUT, updated_at=timezone.now())
    if sold:
        name = Product.objects.filter(pk=event.product_id).values_list("name", flat=True).first() or ""
        publish(
            events.ProductSoldOut(
                product_id=event.product_id,
                reservation_id=event.reservation_id,
                buyer_id=event.buyer_id,
                seller_id=event.seller_id,
                name=name,
            )
        )
