"""Reservations in the admin: staff only (Django's model permissions), read-only: they change
through the buyer's commands, never by hand."""

from django.contrib import admin

from reservation.models import Reservation


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ("id", "product_id", "product_name", "price", "buyer", "seller_id", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "=product_id", "product_name", "buyer__username")
    list_select_related = ("buyer",)
    readonly_fields = [f.name for f in Reservation._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
