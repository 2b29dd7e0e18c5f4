"""The reservation aggregate: a buyer's hold on one product.

    reserved ──(buyer cancels, unpaid)──▶ cancelled
        │
        └──(its payment completes)──▶ completed

The product id, seller id, name and price are plain values copied from the product context's
events (no foreign key crosses a module boundary).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from market.errors import Conflict


class Reservation(models.Model):
    class Status(models.TextChoices):
        RESERVED = "reserved", "reserved"
        CANCELLED = "cancelled", "cancelled"
        COMPLETED = "completed", "completed"

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reservations")
    product_id = models.BigIntegerField()
    # Filled from ProductReserved in the same transaction that places the reservation.
    seller_id = models.BigIntegerField(null=True, blank=True)
    product_name = models.CharField(max_length=100, blank=True, default="")
    price = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="reservation_buyer_id"),
            models.Index(fields=["seller_id", "-id"], name="reservation_seller_id"),
            models.Index(fields=["product_id"], name="reservation_product"),
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
                condition=models.Q(status__in=["reserved", "cancelled", "completed"]),
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
        self.status = self.Status.CANCELLED

    def complete(self) -> bool:
        """reserved → completed once paid. Returns whether it changed (idempotent on redelivery).

        A cancelled reservation cannot be completed: the payment module refuses to pay a voided
        payment, so that combination never arrives here; stay put if it somehow does."""
        if self.status != self.Status.RESERVED:
            return False
        self.status = self.Status.COMPLETED
        return True
