"""Commands of the reservation context.

Placing a reservation publishes ReservationPlaced; the product context holds the product in the
same transaction or vetoes (nothing is stored then). Cancelling publishes ReservationCancelled;
the payment context voids the payment in the same transaction or vetoes when it is already paid.
Lock order: reservation, then payment (paying locks only the payment), so no deadlock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext as _

from market import events
from market.bus import publish
from market.db import parse_id, set_local_timeouts
from market.errors import Conflict, Forbidden, NotFound, TryAgainShortly
from reservation.handlers import being_placed
from reservation.models import Reservation

# PostgreSQL: lock_not_available (lock_timeout) and query_canceled (statement_timeout).
_TIMEOUT_SQLSTATES = {"55P03", "57014"}


def _is_timeout(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in _TIMEOUT_SQLSTATES


def reservation_place(*, buyer, product_id: int) -> Reservation:
    product_pk = parse_id(product_id)
    if product_pk is None:
        raise NotFound(_("No such product."), code="product_not_found")
    try:
        with transaction.atomic():
            set_local_timeouts(
                lock_ms=settings.RESERVATION_LOCK_TIMEOUT_MS, statement_ms=settings.RESERVATION_STATEMENT_TIMEOUT_MS
            )
            reservation = Reservation.objects.create(buyer=buyer, product_id=product_pk)
            # product.hold_for_reservation holds the product and publishes ProductReserved;
            # reservation.record_listing copies the listing onto our row and onto this instance.
            placing = being_placed.set(reservation)
            try:
                publish(
                    events.ReservationPlaced(
                        reservation_id=reservation.pk,
                        product_id=product_pk,
                        buyer_id=buyer.pk,
                        buyer_name=buyer.get_username(),
                    )
                )
            finally:
                being_placed.reset(placing)
            if reservation.seller_id is None:  # not filled in here (never expected): read it back
                reservation.refresh_from_db(fields=["seller_id", "product_name", "price", "updated_at"])
    except IntegrityError as exc:
        # The partial unique index: another live reservation already holds this product.
        raise Conflict(_("The product is not available."), code="product_unavailable") from exc
    except OperationalError as exc:
        if _is_timeout(exc):
            raise TryAgainShortly(_("The product is busy right now; please try again."), code="busy") from exc
        raise
    return reservation


def reservation_cancel(*, reservation_id: int, actor) -> Reservation:
    with transaction.atomic():
        pk = parse_id(reservation_id)
        reservation = (
            Reservation.objects.select_for_update(of=("self",)).select_related("buyer").filter(pk=pk).first()
            if pk is not None
            else None
        )
        if reservation is None or actor is None:
            raise NotFound(_("No such reservation."), code="reservation_not_found")
        if reservation.buyer_id != actor.pk:
            if actor.is_staff or reservation.is_party(actor):
                raise Forbidden(_("Only the buyer may cancel a reservation."), code="not_buyer")
            raise NotFound(_("No such reservation."), code="reservation_not_found")
        reservation.cancel()
        reservation.save(update_fields=["status", "updated_at"])
        publish(
            events.ReservationCancelled(
                reservation_id=reservation.pk,
                product_id=reservation.product_id,
                buyer_id=reservation.buyer_id,
                seller_id=reservation.seller_id or 0,
                product_name=reservation.product_name,
                price=str(reservation.price),
            )
        )
    return reservation
