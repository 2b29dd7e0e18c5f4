"""The reservation aggregate: a buyer's hold on one product.

    reserved ──(buyer cancels, unpaid)──▶ cancelled
        │──(seller declines or staff release it, unpaid)──▶ declined
        │──(not paid by hold_expires_at: the worker's sweep)──▶ expired
        └──(its payment completes)──▶ completed

``Reservation.transitions`` is the one table of these rules: the commands and handlers change
the status only by the conditional UPDATEs it generates, the methods apply it to a loaded row.

The product id, seller id, name and price are plain values copied from the product context's
events (no foreign key crosses a module boundary).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from market.transitions import Arg, Guard, Refusal, StateMachine, Transition

_PAID = Refusal(_("The reservation is already paid."), "already_paid")
_PAID_NOT_CANCELLABLE = Refusal(_("The reservation is already paid; it cannot be cancelled."), "already_paid")
_ALREADY_CANCELLED = Refusal(_("The reservation is already cancelled."), "already_cancelled")
_ENDED = Refusal(_("The reservation has already ended."), "reservation_ended", with_status=True)

END_REASON_MAX_LENGTH = 200  # why the seller declined (told to the buyer): the column, the API and the form


class Reservation(models.Model):
    class Status(models.TextChoices):
        RESERVED = "reserved", _("reserved")
        CANCELLED = "cancelled", _("cancelled")
        COMPLETED = "completed", _("completed")
        EXPIRED = "expired", _("expired")
        DECLINED = "declined", _("declined")

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reservations")
    product_id = models.BigIntegerField()
    # Filled from ProductReserved in the same transaction that places the reservation.
    seller_id = models.BigIntegerField(null=True, blank=True)
    product_name = models.CharField(max_length=100, blank=True, default="")
    price = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Unpaid by then, the worker's sweep expires it (RESERVATION_HOLD_SECONDS after placing).
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # Who ended it when it was declined (the seller, or the staff member who released it) and why.
    ended_by_id = models.BigIntegerField(null=True, blank=True)
    end_reason = models.CharField(max_length=END_REASON_MAX_LENGTH, blank=True, default="")

    # The one definition of the reservation's life (see market.transitions).
    transitions = StateMachine(
        Transition(
            "cancel",
            source=[Status.RESERVED],
            target=Status.CANCELLED,
            refusals={Status.COMPLETED: _PAID_NOT_CANCELLABLE, Status.CANCELLED: _ALREADY_CANCELLED},
            otherwise=_ENDED,  # declined or expired: over already
        ),
        Transition(
            "decline",
            source=[Status.RESERVED],
            target=Status.DECLINED,
            sets={"ended_by_id": Arg("by"), "end_reason": Arg("reason", default="")},
            refusals={Status.COMPLETED: _PAID},
            otherwise=_ENDED,
        ),
        # The worker's sweep; exactly once however many sweep at the same time.
        Transition(
            "expire",
            source=[Status.RESERVED],
            target=Status.EXPIRED,
            guards=[Guard("hold_expires_at", "<=", "now")],
        ),
        # A cancelled reservation cannot be completed: the payment module refuses to pay a voided
        # payment, so that never arrives here; stay put if it somehow does.
        Transition("complete", source=[Status.RESERVED], target=Status.COMPLETED),
    )

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="reservation_buyer_id"),
            models.Index(fields=["seller_id", "-id"], name="reservation_seller_id"),
            models.Index(fields=["product_id"], name="reservation_product"),
            # The expiry sweep's question: live holds past their deadline, oldest first.
            models.Index(
                fields=["hold_expires_at"], condition=models.Q(status="reserved"), name="reservation_live_expiry"
            ),
        ]
        constraints = [
            # Belt and braces behind the product's conditional hold: never two live reservations
            # of one product.
            models.UniqueConstraint(
                fields=["product_id"],
                condition=models.Q(status="reserved"),
                name="reservation_one_live_per_product",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["reserved", "cancelled", "completed", "expired", "declined"]),
                name="reservation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"reservation #{self.pk} of product #{self.product_id} ({self.status})"

    def is_party(self, user) -> bool:
        return user.pk is not None and user.pk in (self.buyer_id, self.seller_id)

    # In memory, from the same table as the conditional UPDATEs of reservation.services and
    # reservation.handlers (``transitions``).

    def cancel(self) -> bool:
        """reserved → cancelled. A paid (completed) reservation can no longer be cancelled."""
        return self.transitions.apply(self, "cancel")

    def decline(self, *, by: int, reason: str = "") -> bool:
        """reserved → declined, by the seller (or staff releasing it). Paid: refused (409)."""
        return self.transitions.apply(self, "decline", by=by, reason=reason)

    def expire(self, *, now) -> bool:
        """reserved → expired once ``hold_expires_at`` has passed. Returns whether it changed."""
        return self.transitions.apply(self, "expire", now=now)

    def complete(self) -> bool:
        """reserved → completed once paid. Returns whether it changed (idempotent on redelivery).

        A cancelled reservation cannot be completed: the payment module refuses to pay a voided
        payment, so that combination never arrives here; stay put if it somehow does."""
        return self.transitions.apply(self, "complete")
