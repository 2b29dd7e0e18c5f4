"""Payments in the admin: staff only (Django's model permissions), read-only: they change
through the buyer's commands and the reservation's events, never by hand."""

from django.contrib import admin

from payment.models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("id", "reservation_id", "product_id", "buyer_id", "seller_id", "amount", "status", "paid_at")
    list_filter = ("status",)
    search_fields = ("=id", "=reservation_id", "=product_id")
    readonly_fields = [f.name for f in Payment._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
