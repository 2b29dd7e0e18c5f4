"""The my-page read model (CQRS): denormalized rows built only from events.

One ``MyPageRow`` per reservation, holding what the buyer (and the seller) want to see at a
glance, and a ``TimelineEntry`` per event that touched it: the "log the status into the view"
requirement. Nothing here is ever written by another context and nothing here reads another
context's tables; ``mypage.services`` is the only writer.

Status columns only move forward (see ``RANKS`` in services), so the same set of events gives
the same row whatever order they arrive in.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReservationStatus(models.TextChoices):
    RESERVED = "reserved"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    EXPIRED = "expired"
    DECLINED = "declined"


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid"
    PAID = "paid"
    VOIDED = "voided"


class ProductStatus(models.TextChoices):
    AVAILABLE = "available"
    PENDING = "pending"
    SOLD_OUT = "sold_out"


class MyPageRow(models.Model):
    """One reservation as the buyer sees it. Columns fill in as events arrive (any order);
    a status column is null until the first event about it has been seen."""

    reservation_id = models.BigIntegerField(primary_key=True)
    product_id = models.BigIntegerField(null=True, blank=True)
    product_name = models.CharField(max_length=100, blank=True, default="")
    price = models.PositiveBigIntegerField(null=True, blank=True)  # whole won
    seller_id = models.BigIntegerField(null=True, blank=True)
    seller_name = models.CharField(max_length=150, blank=True, default="")
    buyer_id = models.BigIntegerField(null=True, blank=True)
    buyer_name = models.CharField(max_length=150, blank=True, default="")
    payment_id = models.BigIntegerField(null=True, blank=True)
    reservation_status = models.CharField(max_length=16, choices=ReservationStatus.choices, null=True, blank=True)
    payment_status = models.CharField(max_length=16, choices=PaymentStatus.choices, null=True, blank=True)
    product_status = models.CharField(max_length=16, choices=ProductStatus.choices, null=True, blank=True)
    # The buyer's deadline to pay, from ReservationPlaced (null for reservations placed before
    # holds expired).
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # created_at: when the reservation was placed (the earliest event seen); updated_at: the
    # latest event's occurred_at. Both come from events, never from the clock, so a rebuild
    # reproduces them exactly.
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "my-page row"
        indexes = [
            models.Index(fields=["buyer_id", "-created_at", "-reservation_id"], name="mypage_buyer_created"),
            models.Index(fields=["seller_id", "-created_at", "-reservation_id"], name="mypage_seller_created"),
        ]

    def __str__(self) -> str:
        return f"reservation #{self.reservation_id} {self.product_name!r} ({self.reservation_status})"


class TimelineEntry(models.Model):
    """One state change of a reservation, as an event told it. Keyed by the event id, so a
    redelivered or replayed event adds nothing."""

    class Subject(models.TextChoices):
        RESERVATION = "reservation"
        PAYMENT = "payment"
        PRODUCT = "product"

    event_id = models.UUIDField(unique=True)
    sequence = models.BigIntegerField(help_text="Position of the event in the event log.")
    row = models.ForeignKey(MyPageRow, on_delete=models.CASCADE, related_name="timeline")
    event_type = models.CharField(max_length=64)
    subject = models.CharField(max_length=16, choices=Subject.choices)
    status = models.CharField(max_length=16, help_text="The new status of the subject this event declares.")
    occurred_at = models.DateTimeField()
    # Carried by the event: the request or job that started the chain, and what caused this event
    # (``manage.py events trace <correlation_id>`` shows the whole chain).
    correlation_id = models.CharField(max_length=64, blank=True, default="")
    causation_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name_plural = "timeline entries"
        ordering = ["occurred_at", "sequence"]
        indexes = [models.Index(fields=["row", "occurred_at", "sequence"], name="mypage_timeline_row")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subject} {self.status}"


class SaleRow(MyPageRow):
    """The admin's "reservations of my products": my-page rows seen by their seller (a proxy, no table)."""

    class Meta:
        proxy = True
        verbose_name = _("reservation of my product")
        verbose_name_plural = _("reservations of my products")
