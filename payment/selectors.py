"""Queries of the payment context. A user sees the payments they owe or made (buyer) and the
payments for their products (seller); staff see all. Anything else is "not found"."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from market.db import parse_id
from market.errors import NotFound, ValidationFailed
from payment.models import Payment

ROLES = ("buyer", "seller")


def payment_list_for(*, user, role: str | None = None) -> QuerySet[Payment]:
    payments = Payment.objects.order_by("-id")
    if role is None:
        if user.is_staff:
            return payments
        return payments.filter(Q(buyer_id=user.pk) | Q(seller_id=user.pk))
    if role == "buyer":
        return payments.filter(buyer_id=user.pk)
    if role == "seller":
        return payments.filter(seller_id=user.pk)
    raise ValidationFailed(
        _("role is 'buyer' or 'seller'."), code="invalid_role", role=[_("Choose one of %(roles)s.") % {"roles": ROLES}]
    )


def payment_get_for(*, user, payment_id: int) -> Payment:
    payment_id = parse_id(payment_id)
    payment = Payment.objects.filter(pk=payment_id).first() if payment_id is not None else None
    if payment is None or not (user.is_staff or payment.is_party(user)):
        raise NotFound(_("No such payment."), code="payment_not_found")
    return payment


def payment_for_reservation(*, user, reservation_id: int) -> Payment:
    """The payment of a reservation (the reference's ``PATCH /paid`` names both)."""
    reservation_id = parse_id(reservation_id)
    payment = Payment.objects.filter(reservation_id=reservation_id).first() if reservation_id is not None else None
    if payment is None or not (user.is_staff or payment.is_party(user)):
        raise NotFound(_("No such payment."), code="payment_not_found")
    return payment
