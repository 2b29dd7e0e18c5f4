"""Queries of the payment context. A user sees the payments they owe or made (buyer) and the
payments for their products (seller); staff see all. Anything else is "not found"."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from market.db import get_or_404
from market.errors import ValidationFailed
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
    return get_or_404(
        Payment.objects.all(),
        payment_id,
        _("No such payment."),
        "payment_not_found",
        visible=lambda payment: user.is_staff or payment.is_party(user),
    )


def payment_for_reservation(*, user, reservation_id: int) -> Payment:
    """The payment of a reservation (the reference's ``PATCH /paid`` names both)."""
    return get_or_404(
        Payment.objects.all(),
        reservation_id,
        _("No such payment."),
        "payment_not_found",
        field="reservation_id",
        visible=lambda payment: user.is_staff or payment.is_party(user),
    )
