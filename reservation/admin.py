"""Reservations in the admin: staff only (Django's model permissions), read-only: they change
through the buyer's commands, never by hand."""

from django.contrib import admin

from market.admin_site import ReadOnlyModelAdmin
from reservation.models import Reservation


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "product_id", "product_name", "price", "buyer", "seller_id", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "=product_id", "product_name", "buyer__username")
    list_select_related = ("buyer",)
    show_full_result_count = False
