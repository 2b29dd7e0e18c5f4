"""The reservation aggregate: a buyer's hold on one product.

    reserved ──(buyer cancels, unpaid)──▶ cancelled
        │──(seller declines or staff release it, unpaid)──▶ declined
        │──(not paid by hold_expires_at: the worker's sweep)──▶ expired
        └──(its payment completes)──▶ completed

The product id, seller id, name and price are plain values copied from the product context's
events (no foreign key crosses a module boundary).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from market.errors import Conflict

END_REASON_MAX_LENGTH = 200  # why the seller declined (told to the buyer): the column, the API and the form


class Reservation(models.Model):
    class Status(models.TextChoices):
        RESERVED = "reserved", "reserved"
        CANCELLED = "cancelled", "cancelled"
        COMPLETED = "completed", "completed"
        EXPIRED = "expired", "expired"
        DECLINED = "declined", "declined"

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

    def cancel(self) -> None:
        """reserved → cancelled. A paid (completed) reservation can no longer be cancelled."""
        if self.status == self.Status.COMPLETED:
            raise Conflict(_("The reservation is already paid; it cannot be cancelled."), code="already_paid")
        if self.status == self.Status.CANCELLED:
            raise Conflict(_("The reservation is already cancelled."), code="already_cancelled")
        self.ensure_live()  # declined or expired: over already
        self.status = self.Status.CANCELLED

    def ensure_live(self) -> None:
        """Only a reserved (unpaid, live) reservation can be cancelled, declined or expired."""
        if self.status == self.Status.COMPLETED:
            raise Conflict(_("The reservation is already paid."), code="already_paid")
        if self.status != self.Status.RESERVED:
            raise Conflict(_("The reservation has already ended."), code="reservation_ended", status=self.status)

    def decline(self, *, by: int, reason: str = "") -> None:
        """reserved → declined, by the seller (or staff releasing it). Paid: refused (409)."""
        self.ensure_live()
        self.status = self.Status.DECLINED
        self.ended_by_id = by
        self.end_reason = reason

    def complete(self) -> bool:
        """reserved → completed once paid. Returns whether it changed (idempotent on redelivery).

        A cancelled reservation cannot be completed: the payment module refuses to pay a voided
        payment, so that combination never arrives here; stay put if it somehow does."""
        if self.status != self.Status.RESERVED:
            return False
        self.status = self.Status.COMPLETED
        return True
