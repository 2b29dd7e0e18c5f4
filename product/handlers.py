"""Event subscribers of the product context.

Each transition is ONE conditional UPDATE generated from ``Product.transitions`` (``WHERE status
= ... AND held_by_reservation_id = ...``): the database decides which of two concurrent commands
wins, and a redelivered event finds nothing left to change.
"""

from __future__ import annotations

from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.translation import gettext as _

from market import events, response_cache
from market.bus import durable, in_transaction, publish, publish_many
from market.errors import NotFound
from product.models import Product

# The hold returns what ProductReserved needs in the same statement, the seller's username
# included (``UPDATE ... RETURNING``: PostgreSQL, SQLite >= 3.35); its SET and WHERE come from
# ``Product.transitions``. The username comes from a subquery in RETURNING, not ``UPDATE ...
# FROM``, because SQLite's RETURNING may name only the updated table. Only table and column names
# from the models are formatted in; every value is a parameter.
_HOLD_RETURNING = """"name", "price", "seller_id",
  (SELECT u."{username}" FROM "{users}" u WHERE u."{user_pk}" = "{product}"."seller_id")"""


def _hold_returning() -> str:
    user_model = get_user_model()
    return _HOLD_RETURNING.format(
        product=Product._meta.db_table,
        users=user_model._meta.db_table,
        user_pk=user_model._meta.pk.column,
        username=user_model._meta.get_field(user_model.USERNAME_FIELD).column,
    )


@in_transaction(events.ReservationPlaced, id="product.hold_for_reservation")
def hold_for_reservation(event: events.ReservationPlaced) -> events.ProductReserved:
    """Hold the product for the new reservation, or veto it (the reservation rolls back). Replies
    to the reservation's command with the ProductReserved it published (``market.bus.ask``)."""
    hold = {"reservation_id": event.reservation_id, "buyer_id": event.buyer_id}
    sql, params = Product.transitions.update_sql(
        "hold", event.product_id, connection=connection, returning=_hold_returning(), **hold
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        held = cursor.fetchone()
    if held is None:
        current = Product.objects.filter(pk=event.product_id).only("seller_id", "status").first()
        if current is None:
            raise NotFound(_("No such product."), code="product_not_found")
        Product.transitions.refuse(current, "hold", **hold)
    name, price, seller_id, seller_name = held
    return publish(
        events.ProductReserved(
            product_id=event.product_id,
            reservation_id=event.reservation_id,
            buyer_id=event.buyer_id,
            seller_id=seller_id,
            seller_name=seller_name,
            product_name=name,
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
    if Product.transitions.update("release", event.product_id, reservation_id=event.reservation_id):
        publish(
            events.ProductReleased(
                product_id=event.product_id,
                reservation_id=event.reservation_id,
                buyer_id=event.buyer_id,
                seller_id=event.seller_id,
                product_name=event.product_name,
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
    holders = {pk: {"reservation_id": event.reservation_id} for pk, event in by_product.items()}
    with transaction.atomic(savepoint=False):  # inside the delivery's transaction: no SAVEPOINT
        sold = list(
            Product.objects.select_for_update()
            .filter(Product.transitions.matching("sell", holders))
            .order_by("pk")
            .values_list("pk", "name")
        )
        if not sold:
            return
        Product.transitions.update_many("sell", {pk: holders[pk] for pk, _ in sold})
        publish_many(
            [
                events.ProductSoldOut(
                    product_id=pk,
                    reservation_id=by_product[pk].reservation_id,
                    buyer_id=by_product[pk].buyer_id,
                    seller_id=by_product[pk].seller_id,
                    product_name=name,
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
