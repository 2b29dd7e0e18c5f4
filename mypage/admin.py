from django.contrib import admin

from mypage.models import MyPageRow, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = ("occurred_at", "event_type", "subject", "status", "sequence", "correlation_id")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MyPageRow)
class MyPageRowAdmin(admin.ModelAdmin):
    """Read-only: the read model is written by events only (rebuild with manage.py rebuild_mypage)."""

    list_display = (
        "reservation_id",
        "product_name",
        "buyer_name",
        "seller_name",
        "reservation_status",
        "payment_status",
        "product_status",
        "updated_at",
    )
    list_filter = ("reservation_status", "payment_status", "product_status")
    search_fields = ("product_name", "buyer_name", "seller_name", "=reservation_id")
    inlines = [TimelineInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in MyPageRow._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
