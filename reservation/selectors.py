"""Queries of the reservation context. A user sees the reservations they made (buyer) and the
reservations of their products (seller); staff see all. Anything else is "not found"."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from market.db import get_or_404
from market.errors import ValidationFailed
from reservation.models import Reservation

ROLES = ("buyer", "seller")


def reservation_list_for(*, user, role: str | None = None) -> QuerySet[Reservation]:
    reservations = Reservation.objects.select_related("buyer").order_by("-id")
    if role is None:
        if user.is_staff:
            return reservations
        return reservations.filter(Q(buyer_id=user.pk) | Q(seller_id=user.pk))
    if role == "buyer":
        return reservations.filter(buyer_id=user.pk)
    if role == "seller":
        return reservations.filter(seller_id=user.pk)
    raise ValidationFailed(
        _("role is 'buyer' or 'seller'."), code="invalid_role", role=[_("Choose one of %(roles)s.") % {"roles": ROLES}]
    )


def reservation_get_for(*, user, reservation_id: int) -> Reservation:
    return get_or_404(
        Reservation.objects.select_related("buyer"),
        reservation_id,
        _("No such reservation."),
        "reservation_not_found",
        visible=lambda reservation: user.is_staff or reservation.is_party(user),
    )
