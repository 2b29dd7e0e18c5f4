"""The reservation context's page actions under /shop/: the product page's Reserve button, the
my-page's Cancel button and the seller's Decline button (on the reservations of their products)
post here. Each answers by going back to a page with a message."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from market.errors import DomainError
from market.web import breaker, check_rate_limit, flash_error, page_view, sign_in_first
from reservation import services
from reservation.models import END_REASON_MAX_LENGTH


@page_view
@require_POST
def reserve(request, product_id: int):
    product_page = reverse("shop-product", args=[product_id])
    if not request.user.is_authenticated:
        return sign_in_first(request, product_page)
    try:
        check_rate_limit(request, "reserve")
        # The same breaker as the API's reservation routes: while it sheds, no database work.
        with breaker("reservations"):
            services.reservation_place(buyer=request.user, product_id=product_id)
    except DomainError as exc:
        flash_error(request, exc, action="reserve")
        return redirect(product_page)
    messages.success(request, _("Reserved. Your payment appears here in a moment; pay it to buy the product."))
    return redirect("shop-my")


@page_view
@require_POST
def cancel(request, reservation_id: int):
    if not request.user.is_authenticated:
        return sign_in_first(request, reverse("shop-my"))
    try:
        check_rate_limit(request, "cancel")
        services.reservation_cancel(reservation_id=reservation_id, actor=request.user)
    except DomainError as exc:
        flash_error(request, exc, action="cancel")
    else:
        messages.success(request, _("The reservation is cancelled."))
    return redirect("shop-my")


class DeclineForm(forms.Form):
    reason = forms.CharField(required=False, max_length=END_REASON_MAX_LENGTH)


@page_view
@require_POST
def decline(request, reservation_id: int):
    """The seller declines an unpaid reservation of their product, with an optional reason the
    buyer is told. Back to the seller's list of the reservations of their products."""
    if not request.user.is_authenticated:
        return sign_in_first(request, reverse("shop-sales"))
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reason may be at most 200 characters."))
        return redirect("shop-sales")
    try:
        check_rate_limit(request, "cancel")  # the API's decline route's limit
        services.reservation_decline(
            reservation_id=reservation_id, actor=request.user, reason=form.cleaned_data["reason"].strip()
        )
    except DomainError as exc:
        flash_error(request, exc, action="decline")
    else:
        messages.success(request, _("The reservation is declined. The buyer is told; your product is on sale again."))
    return redirect("shop-sales")
