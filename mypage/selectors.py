"""Queries of the mypage context: the read model, as the buyer and as the seller see it."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from market.db import get_or_404
from mypage.models import MyPageRow, PaymentStatus, ReservationStatus, TimelineEntry

NEWEST_FIRST = ("-created_at", "-reservation_id")


def mypage_rows_for_buyer(
    *, buyer_id: int, status: str | None = None, payment_status: str | None = None
) -> QuerySet[MyPageRow]:
    return _filtered(MyPageRow.objects.filter(buyer_id=buyer_id), status, payment_status)


def mypage_rows_for_seller(
    *, seller_id: int, status: str | None = None, payment_status: str | None = None
) -> QuerySet[MyPageRow]:
    return _filtered(MyPageRow.objects.filter(seller_id=seller_id), status, payment_status)


def _filtered(rows: QuerySet[MyPageRow], status: str | None, payment_status: str | None) -> QuerySet[MyPageRow]:
    if status:
        rows = rows.filter(reservation_status=status)
    if payment_status:
        rows = rows.filter(payment_status=payment_status)
    return rows.order_by(*NEWEST_FIRST)


def mypage_row_get(*, reservation_id: int, user_id: int) -> MyPageRow:
    """One row with its timeline, for its buyer or its seller; anyone else gets 404 (whether it
    exists is nobody else's business)."""
    rows = MyPageRow.objects.filter(Q(buyer_id=user_id) | Q(seller_id=user_id)).prefetch_related(
        Prefetch("timeline", queryset=TimelineEntry.objects.order_by("occurred_at", "sequence"))
    )
    return get_or_404(
        rows, reservation_id, _("No such reservation on your my-page."), "mypage_row_not_found", field="reservation_id"
    )


def mypage_buyer_actions(row: MyPageRow) -> frozenset[str]:
    """The buttons the buyer's my-page offers on ``row``: "pay" while the payment is requested
    and unpaid, "cancel" while the reservation is live and unpaid. The commands decide again
    (this row may be a moment behind); this only keeps buttons that can only fail off the page."""
    actions = set()
    live = row.reservation_status == ReservationStatus.RESERVED
    if live and row.payment_id and row.payment_status == PaymentStatus.UNPAID:
        actions.add("pay")
    if live and row.payment_status != PaymentStatus.PAID:
        actions.add("cancel")
    return frozenset(actions)


def mypage_seller_actions(row: MyPageRow) -> frozenset[str]:
    """The buttons the seller's list offers on ``row``: "decline" while the reservation is live
    and unpaid (``reservation_decline`` decides again and refuses a paid one with 409)."""
    if row.reservation_status == ReservationStatus.RESERVED and row.payment_status != PaymentStatus.PAID:
        return frozenset({"decline"})
    return frozenset()


def mypage_version_for_buyer(*, buyer_id: int) -> int:
    """A number that changes whenever anything on the buyer's my-page changes: every event folded
    into a row adds one timeline entry (and a late event may change a status without moving
    ``updated_at``), so the count of their entries is it. Lets a polling page skip unchanged lists."""
    return TimelineEntry.objects.filter(row__buyer_id=buyer_id).count()


def mypage_version_for_seller(*, seller_id: int) -> int:
    """``mypage_version_for_buyer`` for the reservations of a seller's products."""
    return TimelineEntry.objects.filter(row__seller_id=seller_id).count()
