"""Payments in the admin: staff only (Django's model permissions), read-only: they change
through the buyer's commands and the reservation's events, never by hand."""

from django.contrib import admin

from market.admin_site import ReadOnlyModelAdmin
from payment.models import Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "reservation_id", "product_id", "buyer_id", "seller_id", "amount", "status", "paid_at")
    list_filter = ("status",)
    search_fields = ("=id", "=reservation_id", "=product_id")
    show_full_result_count = False
