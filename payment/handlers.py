"""Event subscribers of the payment context."""

from __future__ import annotations

from django.db import transaction

from market import events
from market.bus import durable, in_transaction, publish, publish_many
from payment.models import Payment
from payment.services import payment_event


@durable(events.ProductReserved, id="payment.request_payment", batch=True)
def request_payment(reserved: list[events.ProductReserved]) -> None:
    """A reservation now holds the product: the buyer owes its price as it was then.

    Runs after the reservation committed (reserving never waits on us), for one event or a
    worker's batch: which reservations already have a payment (one query), insert the others
    (one INSERT ... ON CONFLICT DO NOTHING), lock what is now there (one query), publish
    PaymentRequested for each payment we created unpaid (one statement). A redelivery changes
    nothing, and a voided tombstone left by an earlier cancel stays voided."""
    with transaction.atomic(savepoint=False):  # inside the delivery's transaction: no SAVEPOINT
        existing = set(
            Payment.objects.filter(reservation_id__in=[e.reservation_id for e in reserved]).values_list(
                "reservation_id", flat=True
            )
        )
        new = {e.reservation_id: e for e in reserved if e.reservation_id not in existing}
        if not new:
            return
        Payment.objects.bulk_create(
            [_new_payment(event, price=event.price, status=Payment.Status.UNPAID) for event in new.values()],
            ignore_conflicts=True,
        )
        # A concurrent cancel's tombstone may have won an insert; that one stays voided.
        created = Payment.objects.select_for_update().filter(reservation_id__in=list(new)).order_by("reservation_id")
        publish_many([payment_event(events.PaymentRequested, p) for p in created if p.status == Payment.Status.UNPAID])


@in_transaction(
    events.ReservationCancelled, events.ReservationDeclined, events.ReservationExpired, id="payment.void_on_cancel"
)
def void_on_cancel(event: events.ReservationCancelled | events.ReservationDeclined | events.ReservationExpired) -> None:
    """Void the reservation's payment in the transaction that ends it (the buyer's cancel, the
    seller's decline, the sweep's expiry); veto the ending if it is paid. The payment row's lock
    decides a race with paying: whichever locks it first wins.

    The payment row may not exist yet (request_payment runs after commit): then leave a voided
    tombstone so the later request cannot bring it back."""
    payment = Payment.objects.select_for_update().filter(reservation_id=event.reservation_id).first()
    if payment is None:
        # request_payment may have inserted meanwhile: then we lock and void that row below.
        payment = _insert_if_absent(event, price=event.price, status=Payment.Status.VOIDED)
        if payment.status == Payment.Status.VOIDED:  # our tombstone (the reservation is locked by us)
            publish(payment_event(events.PaymentVoided, payment))
            return
    # Refuses with Conflict("already_paid") when paid: the cancel rolls back.
    if Payment.transitions.perform(payment, "void"):
        publish(payment_event(events.PaymentVoided, payment))


def _insert_if_absent(event, *, price: str, status: str) -> Payment:
    """The reservation's payment row, inserted with ``status`` unless one exists (also one a
    concurrent transaction just inserted), returned locked until our transaction ends."""
    Payment.objects.bulk_create([_new_payment(event, price=price, status=status)], ignore_conflicts=True)
    return Payment.objects.select_for_update().get(reservation_id=event.reservation_id)


def _new_payment(event, *, price: str, status: str) -> Payment:
    return Payment(
        reservation_id=event.reservation_id,
        product_id=event.product_id,
        buyer_id=event.buyer_id,
        seller_id=event.seller_id,
        amount=int(price),
        status=status,
    )
