"""The seller's back office. Any active user may sign in to /admin/ (market.admin_site): a seller
sees and manages only their own products; staff see everyone's (and manage their own).

Writes go through the services, so the admin publishes the same events as the API and obeys the
same rules: a product can be changed or deleted only while it is available.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from market.admin_site import choices_filter
from market.errors import DomainError
from product.models import Product, Wish
from product.services import product_register, product_update, product_withdraw

# The states as the admin shows them (the model's choices are English words).
STATUS_LABELS = {"available": _("available"), "pending": _("pending (reserved)"), "sold_out": _("sold out")}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("id", "product_name", "amount", "state", "seller_name", "wish_count", "listed_at")
    list_display_links = ("id", "product_name")
    list_filter = (choices_filter("status", _("status"), STATUS_LABELS),)
    search_fields = ("name",)
    list_select_related = ("seller",)
    ordering = ("-id",)
    fields = ("name", "description", "price", "status", "seller", "held_by_reservation_id", "created_at")
    readonly_fields = ("status", "seller", "held_by_reservation_id", "created_at")
    show_full_result_count = False

    # The columns under names in the admin's language (the model's fields have English ones).
    @admin.display(description=_("product"), ordering="name")
    def product_name(self, product: Product):
        return product.name

    @admin.display(description=_("price (won)"), ordering="price")
    def amount(self, product: Product):
        return product.price

    @admin.display(description=_("status"), ordering="status")
    def state(self, product: Product):
        return STATUS_LABELS.get(product.status, product.status)

    @admin.display(description=_("seller"), ordering="seller__username")
    def seller_name(self, product: Product):
        return product.seller.username

    @admin.display(description=_("listed at"), ordering="created_at")
    def listed_at(self, product: Product):
        return product.created_at

    @admin.display(description=_("wishes"), ordering="wish_count")
    def wish_count(self, product: Product) -> int:
        return product.wish_count

    # --- who sees what ----------------------------------------------------------------------

    def get_queryset(self, request):
        # How many wish for each product (찜), counted in the changelist's own query: a subquery per
        # row of the page, not a GROUP BY over every product before the page is cut.
        wishes = Wish.objects.filter(product=OuterRef("pk")).order_by().values("product").annotate(n=Count("pk"))
        products = super().get_queryset(request).annotate(wish_count=Coalesce(Subquery(wishes.values("n")), 0))
        if request.user.is_staff:
            return products
        return products.filter(seller=request.user)

    def _signed_in(self, request) -> bool:
        return request.user.is_active and request.user.is_authenticated

    def _owns(self, request, obj: Product | None) -> bool:
        return obj is None or obj.seller_id == request.user.pk

    def has_module_permission(self, request) -> bool:
        return self._signed_in(request)

    def has_view_permission(self, request, obj: Product | None = None) -> bool:
        return self._signed_in(request) and (request.user.is_staff or self._owns(request, obj))

    def has_add_permission(self, request) -> bool:
        return self._signed_in(request)

    def has_change_permission(self, request, obj: Product | None = None) -> bool:
        # The changelist asks with obj=None; each product is editable only by its seller while available.
        if not self._signed_in(request) or not self._owns(request, obj):
            return False
        return obj is None or obj.can_edit()

    def has_delete_permission(self, request, obj: Product | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete would bypass the service (and its event); delete one product at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_fields(self, request, obj: Product | None = None):
        if obj is None:
            return ("name", "description", "price")
        return self.fields

    # --- writes through the services ---------------------------------------------------------

    def save_model(self, request, obj: Product, form, change: bool) -> None:
        if change:
            product_update(
                product_id=obj.pk,
                actor=request.user,
                name=obj.name,
                description=obj.description,
                price=obj.price,
            )
        else:
            created = product_register(seller=request.user, name=obj.name, price=obj.price, description=obj.description)
            obj.pk = created.pk
            obj.seller = created.seller
            obj.status = created.status
            obj.created_at = created.created_at
            obj.updated_at = created.updated_at
            obj._state.adding = False

    def delete_model(self, request, obj: Product) -> None:
        product_withdraw(product_id=obj.pk, actor=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            # Django runs the view in a transaction: a refused write rolls back the whole form.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # The product changed under the seller's feet (e.g. reserved meanwhile).
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:product_product_change", args=[object_id]))
