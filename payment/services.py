"""Commands of the payment context.

Paying depends on no other context synchronously: it locks only the payment row and publishes
PaymentCompleted; the reservation and product contexts catch up from that event (durably).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from market import events
from market.bus import publish
from market.db import get_or_404
from market.errors import Forbidden
from payment.models import Payment


def payment_event(event_class: type[events.PaymentEvent], payment: Payment) -> events.PaymentEvent:
    return event_class(
        payment_id=payment.pk,
        reservation_id=payment.reservation_id,
        product_id=payment.product_id,
        buyer_id=payment.buyer_id,
        seller_id=payment.seller_id,
        amount=str(payment.amount),
    )


def payment_pay(*, payment_id: int, actor) -> Payment:
    with transaction.atomic():
        payment = get_or_404(
            Payment.objects.select_for_update(),
            payment_id,
            _("No such payment."),
            "payment_not_found",
            visible=lambda payment: actor is not None and (actor.is_staff or payment.is_party(actor)),
        )
        if payment.buyer_id != actor.pk:
            raise Forbidden(_("Only the buyer may pay."), code="not_buyer")
        Payment.transitions.perform(payment, "pay")
        publish(payment_event(events.PaymentCompleted, payment))
    return payment
