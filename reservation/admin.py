"""Reservations in the admin: staff only (Django's model permissions), read-only: they change
through the buyer's commands, never by hand. One exception is a command too: staff may release
a stuck unpaid reservation (the "release" action), recorded with who did it."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from market.admin_site import ReadOnlyModelAdmin
from market.errors import DomainError
from reservation.models import Reservation
from reservation.services import reservation_release


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "product_id",
        "product_name",
        "price",
        "buyer",
        "seller_id",
        "status",
        "hold_expires_at",
        "ended_by_id",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("=id", "=product_id", "product_name", "buyer__username")
    list_select_related = ("buyer",)
    show_full_result_count = False
    actions = ["release"]

    @admin.action(description=_("Release the selected unpaid reservations (the product is on sale again)"))
    def release(self, request, queryset) -> None:
        """Each through ``reservation_release`` (its own transaction and events); the admin's log
        and the reservation's ``ended_by_id`` record who did it. Paid or ended ones are skipped."""
        released = 0
        for reservation in queryset.order_by("pk"):
            try:
                reservation_release(reservation_id=reservation.pk, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"#{reservation.pk}: {exc.message}", messages.WARNING)
                continue
            self.log_change(request, reservation, f"Released by {request.user.get_username()} (staff).")
            released += 1
        if released:
            self.message_user(
                request,
                ngettext("Released %(n)d reservation.", "Released %(n)d reservations.", released) % {"n": released},
                messages.SUCCESS,
            )
