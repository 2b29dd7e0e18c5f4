"""Commands of the reservation context.

Placing a reservation publishes ReservationPlaced; the product context holds the product in the
same transaction or vetoes (nothing is stored then). Cancelling publishes ReservationCancelled;
the payment context voids the payment in the same transaction or vetoes when it is already paid.
Lock order: reservation, then payment (paying locks only the payment), so no deadlock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from market import events
from market.bus import ask, publish
from market.db import get_or_404, parse_id, set_local_timeouts
from market.errors import Conflict, Forbidden, NotFound, TryAgainShortly
from reservation.handlers import listing_copy
from reservation.models import Reservation

logger = logging.getLogger(__name__)

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
            reservation = Reservation.objects.create(
                buyer=buyer,
                product_id=product_pk,
                hold_expires_at=timezone.now() + timedelta(seconds=settings.RESERVATION_HOLD_SECONDS),
            )
            # The listing copy comes back as the bus's in-transaction reply (``market.bus.ask``):
            # product.hold_for_reservation answers our ReservationPlaced with the ProductReserved
            # it published. Chosen over reading the row back because that costs a query per
            # reservation, and over a shared context variable because the reply is explicit in
            # both signatures and needs no set/reset around the publish. reservation.record_listing
            # writes the same copy onto the row (``listing_copy``), so instance and row agree.
            replies = ask(
                events.ReservationPlaced(
                    reservation_id=reservation.pk,
                    product_id=product_pk,
                    buyer_id=buyer.pk,
                    buyer_name=buyer.get_username(),
                    hold_expires_at=reservation.hold_expires_at.isoformat(),
                )
            )
            reserved = next((r for r in replies if isinstance(r, events.ProductReserved)), None)
            if reserved is not None:
                for name, value in listing_copy(reserved).items():
                    setattr(reservation, name, value)
            else:  # nobody replied (never expected): read it back
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
        reservation = _locked(reservation_id, seen_by_party=True, actor=actor)
        if reservation.buyer_id != actor.pk:
            raise Forbidden(_("Only the buyer may cancel a reservation."), code="not_buyer")
        Reservation.transitions.perform(reservation, "cancel")
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


# --- the hold's other endings: declined by the seller, released by staff, expired ---------------


def _locked(reservation_id: int, *, seen_by_party: bool = False, actor=None) -> Reservation:
    """The reservation, locked; 404 when there is none or, with ``seen_by_party``, when ``actor``
    (None: nobody signed in) is neither staff nor a party to it (ids don't leak)."""

    def visible(reservation: Reservation) -> bool:
        return actor is not None and (actor.is_staff or reservation.is_party(actor))

    return get_or_404(
        Reservation.objects.select_for_update(of=("self",)).select_related("buyer"),
        reservation_id,
        _("No such reservation."),
        "reservation_not_found",
        visible=visible if seen_by_party else None,
    )


def _declined(reservation: Reservation, *, by_staff: bool) -> events.ReservationDeclined:
    return events.ReservationDeclined(
        reservation_id=reservation.pk,
        product_id=reservation.product_id,
        buyer_id=reservation.buyer_id,
        seller_id=reservation.seller_id or 0,
        product_name=reservation.product_name,
        price=str(reservation.price),
        declined_by=reservation.ended_by_id or 0,
        by_staff=by_staff,
        reason=reservation.end_reason,
    )


def reservation_decline(*, reservation_id: int, actor, reason: str = "") -> Reservation:
    """The product's seller ends an unpaid reservation: the product is available again and the
    payment voided (both in this transaction, by the product and payment contexts); a paid one is
    refused (409 ``already_paid``, the payment context's veto when it is paid but not yet
    completed here). The buyer and staff see the reservation but may not decline it (403);
    anyone else does not see it (404)."""
    with transaction.atomic():
        reservation = _locked(reservation_id, seen_by_party=True, actor=actor)
        if reservation.seller_id != actor.pk:
            raise Forbidden(_("Only the seller may decline a reservation."), code="not_seller")
        Reservation.transitions.perform(reservation, "decline", by=actor.pk, reason=reason)
        publish(_declined(reservation, by_staff=False))
    return reservation


def reservation_release(*, reservation_id: int, actor, reason: str = "") -> Reservation:
    """Staff end a stuck unpaid reservation (the admin's action): a decline recorded with who did
    it (``ended_by_id``, the event's ``declined_by`` and ``by_staff``)."""
    with transaction.atomic():
        reservation = _locked(reservation_id)
        if actor is None or not actor.is_staff:
            raise Forbidden(_("Only staff may release a reservation."), code="not_staff")
        Reservation.transitions.perform(reservation, "decline", by=actor.pk, reason=reason or "released by staff")
        publish(_declined(reservation, by_staff=True))
    return reservation


def reservation_expire(*, reservation_id: int, now: datetime | None = None) -> bool:
    """Expire one reservation whose hold has run out, if it still is unpaid. Returns whether it
    expired.

    Exactly once, however many workers sweep at the same time: one conditional UPDATE
    (``Reservation.transitions``: ``WHERE status = 'reserved' AND hold_expires_at <= now``)
    decides; a second sweeper waits for the first one's row lock and then matches nothing.
    Against paying at the same instant, the payment row decides: ``payment.void_on_cancel`` (this
    transaction) locks it and vetoes when it is paid, so the expiry rolls back and the payment's
    completion follows; if the void commits first, paying finds the payment voided (409)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            if not Reservation.transitions.update("expire", reservation_id, now=now):
                return False
            reservation = Reservation.objects.get(pk=reservation_id)  # our UPDATE holds its lock
            publish(
                events.ReservationExpired(
                    reservation_id=reservation.pk,
                    product_id=reservation.product_id,
                    buyer_id=reservation.buyer_id,
                    seller_id=reservation.seller_id or 0,
                    product_name=reservation.product_name,
                    price=str(reservation.price),
                )
            )
    except Conflict as exc:
        # Paid at the last moment: the payment won. Its PaymentCompleted completes the reservation.
        logger.info("reservation %s not expired: %s", reservation_id, exc.code)
        return False
    return True


def reservation_expire_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """The worker's sweep (a periodic job, see ``reservation.apps``): expire live reservations
    whose hold has run out, oldest deadline first, one transaction each. Returns how many expired."""
    now = now or timezone.now()
    due = list(
        Reservation.objects.filter(status=Reservation.Status.RESERVED, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in due:
        try:
            expired += reservation_expire(reservation_id=pk, now=now)
        except Exception:
            # One reservation that cannot expire (its transaction rolled back) must not keep the
            # others waiting behind it, sweep after sweep; it is tried again at the next one.
            logger.exception("reservation %s could not expire; trying again at the next sweep", pk)
    return expired
