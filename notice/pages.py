"""The notice context's web page under /shop/: the signed-in person's notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from market.web import page_view, paginate
from notice import selectors
from notice.models import Notification

STATUS_LABELS = {
    Notification.Status.PENDING: _("Sending"),
    Notification.Status.SENT: _("Sent"),
    Notification.Status.FAILED: _("Not delivered"),
}
# Each kind's heading on the page (the text itself was written when the notification was made).
KIND_LABELS = {
    "RESERVED": _("Reserved"),
    "RESERVATION_RECEIVED": _("New reservation"),
    "PAYMENT_REQUESTED": _("Payment requested"),
    "PAID": _("Paid"),
    "SOLD": _("Sold"),
    "CANCELLED": _("Reservation cancelled"),
    "RELEASED": _("On sale again"),
    "EXPIRED": _("Reservation expired"),
    "HOLD_EXPIRED": _("Hold expired"),
    "DECLINED": _("Reservation declined"),
    "RELEASED_BY_STAFF": _("Released by staff"),
    "VOIDED": _("Payment voided"),
    "WISH_AVAILABLE": _("Wish: available again"),
    "WISH_PRICE_LOWERED": _("Wish: cheaper"),
}
CHANNEL_LABELS = {Notification.Channel.CONSOLE: _("Site only"), Notification.Channel.KAKAO: _("KakaoTalk")}


@page_view
@login_required(login_url="shop-signin")
@require_GET
def my_notifications(request):
    page = paginate(request, selectors.notification_list_for(user_id=request.user.pk))
    return render(
        request,
        "notice/my_notifications.html",
        {
            "nav": "notifications",
            "page": page,
            "query": "",
            "status_labels": STATUS_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "kind_labels": KIND_LABELS,
        },
    )
