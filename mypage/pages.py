"""The my-page context's web pages under /shop/my/: a buyer's reservations (states, timeline,
deadline, Pay and Cancel where allowed) and a seller's sales, both from the read model.

They update themselves while open by short polling: the list asks for itself every few seconds
(htmx ``hx-trigger="every 3s"``), naming the version it shows (``?seen=``); unchanged, the answer
is an empty 204 and nothing moves (an open timeline stays open), changed, the new list replaces it.
Not server-sent events: gunicorn's sync workers would spend a whole worker on every open my-page
for as long as it stays open, where a poll costs one indexed COUNT every few seconds and needs
nothing more from the deployment. A poll after signing out answers 286, which stops htmx polling."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from market.web import page_view, paginate
from mypage import selectors

POLL_SECONDS = 3
UNCHANGED = 204  # htmx swaps nothing
STOP_POLLING = 286  # htmx's code for "stop polling"

RESERVATION_LABELS = {
    "reserved": _("Reserved"),
    "cancelled": _("Cancelled"),
    "completed": _("Completed"),
    "expired": _("Expired"),
    "declined": _("Declined"),
}
PAYMENT_LABELS = {"unpaid": _("Waiting for payment"), "paid": _("Paid"), "voided": _("Voided")}
PRODUCT_LABELS = {"available": _("Available"), "pending": _("Reserved"), "sold_out": _("Sold out")}
TIMELINE_LABELS = {
    "ReservationPlaced": _("You reserved the product"),
    "ProductReserved": _("The product is held for you"),
    "PaymentRequested": _("Payment requested"),
    "PaymentCompleted": _("Paid"),
    "ReservationCompleted": _("Reservation completed"),
    "ProductSoldOut": _("The product is sold"),
    "ReservationCancelled": _("Reservation cancelled"),
    "PaymentVoided": _("Payment voided"),
    "ProductReleased": _("The product is available again"),
    "ReservationDeclined": _("The seller declined the reservation"),
    "ReservationExpired": _("The hold ended unpaid"),
}
LABELS = {
    "reservation_labels": RESERVATION_LABELS,
    "payment_labels": PAYMENT_LABELS,
    "product_labels": PRODUCT_LABELS,
    "timeline_labels": TIMELINE_LABELS,
    "poll_seconds": POLL_SECONDS,
}


def _buyer_context(request) -> dict:
    rows = selectors.mypage_rows_for_buyer(buyer_id=request.user.pk).prefetch_related("timeline")
    page = paginate(request, rows)
    entries = [(row, selectors.mypage_buyer_actions(row)) for row in page.object_list]
    version = selectors.mypage_version_for_buyer(buyer_id=request.user.pk)
    return {"nav": "my", "page": page, "entries": entries, "query": "", "version": version, **LABELS}


@page_view
@login_required(login_url="shop-signin")
@require_GET
def my_reservations(request):
    return render(request, "mypage/my_reservations.html", _buyer_context(request))


@page_view
@require_GET
def my_reservations_rows(request):
    """The list alone, for the page's poll (same ``?page=`` as the page it sits in)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    if request.GET.get("seen") == str(selectors.mypage_version_for_buyer(buyer_id=request.user.pk)):
        return HttpResponse(status=UNCHANGED)
    return render(request, "mypage/_rows.html", _buyer_context(request))


def _sales_context(request) -> dict:
    page = paginate(request, selectors.mypage_rows_for_seller(seller_id=request.user.pk))
    entries = [(row, selectors.mypage_seller_actions(row)) for row in page.object_list]
    version = selectors.mypage_version_for_seller(seller_id=request.user.pk)
    return {"nav": "my-products", "page": page, "entries": entries, "query": "", "version": version, **LABELS}


@page_view
@login_required(login_url="shop-signin")
@require_GET
def sales(request):
    return render(request, "mypage/sales.html", _sales_context(request))


@page_view
@require_GET
def sales_rows(request):
    """The seller's list alone: polled by itself, and loaded into the product context's
    "my products" page (which cannot read the my-page itself)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    if request.GET.get("seen") == str(selectors.mypage_version_for_seller(seller_id=request.user.pk)):
        return HttpResponse(status=UNCHANGED)
    return render(request, "mypage/_sales_rows.html", _sales_context(request))
