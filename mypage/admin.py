from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from market.admin_site import choices_filter
from mypage.models import MyPageRow, SaleRow, TimelineEntry


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


# The states as the admin shows them (the models' choices are English words).
RESERVATION_LABELS = {"reserved": _("reserved"), "cancelled": _("cancelled"), "completed": _("completed (paid)")}
PAYMENT_LABELS = {"unpaid": _("unpaid"), "paid": _("paid"), "voided": _("voided")}
PRODUCT_LABELS = {"available": _("available"), "pending": _("pending (reserved)"), "sold_out": _("sold out")}


@admin.register(SaleRow)
class SaleRowAdmin(admin.ModelAdmin):
    """A seller's reservations on their products, with the buyer and the payment state, read only
    (from the my-page read model: the seller needs no access to the reservation or payment
    contexts' tables). Every signed-in user sees the rows of their own products only, staff too."""

    list_display = (
        "reservation_number",
        "product_link",
        "amount",
        "buyer",
        "reservation_state",
        "payment_state",
        "product_state",
        "reserved_at",
    )
    list_filter = (
        choices_filter("reservation_status", _("reservation"), RESERVATION_LABELS),
        choices_filter("payment_status", _("payment"), PAYMENT_LABELS),
        choices_filter("product_status", _("product"), PRODUCT_LABELS),
    )
    search_fields = ("product_name", "buyer_name", "=reservation_id")
    inlines = [TimelineInline]
    ordering = ("-created_at", "-reservation_id")
    show_full_result_count = False

    @admin.display(description=_("reservation no."), ordering="reservation_id")
    def reservation_number(self, row: SaleRow):
        return row.reservation_id

    @admin.display(description=_("product"), ordering="product_name")
    def product_link(self, row: SaleRow):
        if row.product_id is None:
            return row.product_name
        url = reverse("admin:product_product_change", args=[row.product_id])
        return format_html('<a href="{}">{}</a>', url, row.product_name)

    @admin.display(description=_("price (won)"), ordering="price")
    def amount(self, row: SaleRow):
        return row.price

    @admin.display(description=_("buyer"), ordering="buyer_name")
    def buyer(self, row: SaleRow):
        return row.buyer_name

    @admin.display(description=_("reservation"))
    def reservation_state(self, row: SaleRow):
        return RESERVATION_LABELS.get(row.reservation_status or "", row.reservation_status)

    @admin.display(description=_("payment"))
    def payment_state(self, row: SaleRow):
        return PAYMENT_LABELS.get(row.payment_status or "", row.payment_status)

    @admin.display(description=_("product status"))
    def product_state(self, row: SaleRow):
        return PRODUCT_LABELS.get(row.product_status or "", row.product_status)

    @admin.display(description=_("reserved at"), ordering="created_at")
    def reserved_at(self, row: SaleRow):
        return row.created_at

    def get_queryset(self, request):
        return super().get_queryset(request).filter(seller_id=request.user.pk)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in MyPageRow._meta.fields]

    def _signed_in(self, request) -> bool:
        return request.user.is_active and request.user.is_authenticated

    def has_module_permission(self, request) -> bool:
        return self._signed_in(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._signed_in(request) and (obj is None or obj.seller_id == request.user.pk)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
