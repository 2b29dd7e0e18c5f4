"""Event subscribers of the product context.

Each transition is ONE conditional UPDATE (``WHERE status = ... AND held_by_reservation_id = ...``):
the database decides which of two concurrent commands wins, and a redelivered event finds nothing
left to change.
"""

from __future__ import annotations

from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from market import events, response_cache
from market.bus import durable, in_transaction, publish, publish_many
from market.errors import Conflict, NotFound
from product.models import Product

# One statement holds the product and returns what ProductReserved needs, the seller's username
# included (``UPDATE ... RETURNING``: PostgreSQL, SQLite >= 3.35). The username comes from a
# subquery in RETURNING, not ``UPDATE ... FROM``, because SQLite's RETURNING may name only the
# updated table. Only table and column names from the models are formatted in (``_hold_sql``);
# every value is a parameter.
_HOLD = """\
UPDATE "{product}" SET "status" = %s, "held_by_reservation_id" = %s, "updated_at" = %s
WHERE "id" = %s AND "status" = %s AND "seller_id" <> %s
RETURNING "name", "price", "seller_id",
  (SELECT u."{username}" FROM "{users}" u WHERE u."{user_pk}" = "{product}"."seller_id")
"""


def _hold_sql() -> str:
    user_model = get_user_model()
    return _HOLD.format(
        product=Product._meta.db_table,
        users=user_model._meta.db_table,
        user_pk=user_model._meta.pk.column,
        username=user_model._meta.get_field(user_model.USERNAME_FIELD).column,
    )


@in_transaction(events.ReservationPlaced, id="product.hold_for_reservation")
def hold_for_reservation(event: events.ReservationPlaced) -> None:
    """Hold the product for the new reservation, or veto it (the reservation rolls back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _hold_sql(),
            [
                Product.Status.PENDING.value,
                event.reservation_id,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                event.product_id,
                Product.Status.AVAILABLE.value,
                event.buyer_id,
            ],
        )
        held = cursor.fetchone()
    if held is None:
        current = Product.objects.filter(pk=event.product_id).values("seller_id", "status").first()
        if current is None:
            raise NotFound(_("No such product."), code="product_not_found")
        if current["seller_id"] == event.buyer_id:
            raise Conflict(_("You cannot reserve your own product."), code="own_product")
        raise Conflict(_("The product is not available."), code="product_unavailable", status=current["status"])
    name, price, seller_id, seller_name = held
    publish(
        events.ProductReserved(
            product_id=event.product_id,
            reservation_id=event.reservation_id,
            buyer_id=event.buyer_id,
            seller_id=seller_id,
            seller_name=seller_name,
            name=name,
            price=str(price),
        )
    )


_HoldEnded = events.ReservationCancelled | events.ReservationDeclined | events.ReservationExpired

# Why a hold ended, as ProductReleased tells it.
_RELEASE_CAUSES = {
    events.ReservationCancelled.type: "cancelled",
    events.ReservationDeclined.type: "declined",
    events.ReservationExpired.type: "expired",
}


@in_transaction(
    events.ReservationCancelled, events.ReservationDeclined, events.ReservationExpired, id="product.release_on_cancel"
)
def release_on_cancel(event: _HoldEnded) -> None:
    """The holding reservation was cancelled, declined or expired: available again. A sold-out
    product stays sold."""
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
                cause=_RELEASE_CAUSES[event.type],
            )
        )


@durable(events.PaymentCompleted, id="product.sell_on_payment", batch=True)
def sell_on_payment(paid: list[events.PaymentCompleted]) -> None:
    """The holding reservations were paid: sold out, for good. For one event or a worker's
    batch: lock the products still held by the paid reservations (one query), mark them sold out
    (one UPDATE), publish ProductSoldOut for each (one statement). Idempotent: a product already
    sold is left alone."""
    by_product = {event.product_id: event for event in paid}
    with transaction.atomic(savepoint=False):  # inside the delivery's transaction: no SAVEPOINT
        held = (
            Product.objects.select_for_update()
            .filter(pk__in=list(by_product), status=Product.Status.PENDING)
            .order_by("pk")
            .values_list("pk", "held_by_reservation_id", "name")
        )
        sold = [(pk, name) for pk, holder, name in held if holder == by_product[pk].reservation_id]
        if not sold:
            return
        Product.objects.filter(pk__in=[pk for pk, _ in sold]).update(
            status=Product.Status.SOLD_OUT, updated_at=timezone.now()
        )
        publish_many(
            [
                events.ProductSoldOut(
                    product_id=pk,
                    reservation_id=by_product[pk].reservation_id,
                    buyer_id=by_product[pk].buyer_id,
                    seller_id=by_product[pk].seller_id,
                    name=name,
                )
                for pk, name in sold
            ]
        )


# Every product event that changes what the catalogue shows (a product listed, edited, withdrawn,
# held, released, sold); wishes do not show in the list.
_CATALOGUE_CHANGES = (
    events.ProductRegistered,
    events.ProductUpdated,
    events.ProductPriceLowered,
    events.ProductWithdrawn,
    events.ProductReserved,
    events.ProductReleased,
    events.ProductSoldOut,
)


@in_transaction(*_CATALOGUE_CHANGES, id="product.refresh_catalogue")
def refresh_catalogue(event: events.Event) -> None:
    """Anonymous copies of the catalogue (product.api, market.response_cache) go stale at once, and
    again after commit: a reader between the two may have cached the state before the commit."""
    response_cache.invalidate("catalogue")
    transaction.on_commit(partial(response_cache.invalidate, "catalogue"), robust=True)
