"""The payment context's page action under /shop/: the my-page's Pay button posts here."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from market.errors import DomainError
from market.web import check_rate_limit, flash_error, page_view, sign_in_first
from payment import services


@page_view
@require_POST
def pay(request, payment_id: int):
    if not request.user.is_authenticated:
        return sign_in_first(request, reverse("shop-my"))
    try:
        check_rate_limit(request, "pay")
        services.payment_pay(payment_id=payment_id, actor=request.user)
    except DomainError as exc:
        flash_error(request, exc, action="pay")
    else:
        messages.success(request, _("Paid. The product is yours."))
    return redirect("shop-my")
