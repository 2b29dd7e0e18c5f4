"""What notice knows and keeps: its own contact book and product names (both built from events;
notice never reads another context's tables) and every notification it made."""

from __future__ import annotations

import uuid

from django.db import models


class Recipient(models.Model):
    """A user's contact, from UserRegistered / UserContactChanged."""

    user_id = models.BigIntegerField(primary_key=True)
    username = models.CharField(max_length=150, blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.username} ({self.phone or 'no phone'})"


class ProductName(models.Model):
    """Product names, for messages about events that carry only the product id."""

    product_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    class Channel(models.TextChoices):
        CONSOLE = "console"
        KAKAO = "kakao"

    # Also the provider's idempotency key: a retry after an ambiguous timeout cannot double-send.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient_user_id = models.BigIntegerField()
    recipient_no = models.CharField(max_length=20, blank=True, default="")
    event_id = models.UUIDField(help_text="The event this notification is about.")
    event_type = models.CharField(max_length=64)
    kind = models.CharField(max_length=32)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    template_code = models.CharField(max_length=64, blank=True, default="")
    parameters = models.JSONField(default=dict)
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    provider_response = models.JSONField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When its recipient marked it read in the API (null: unread).
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Exactly one notification per (event, recipient), however often the event arrives.
            models.UniqueConstraint(fields=["event_id", "recipient_user_id"], name="notification_once_per_recipient"),
        ]
        indexes = [
            models.Index(fields=["recipient_user_id", "-created_at", "-id"], name="notification_recipient"),
            models.Index(fields=["status", "channel"], name="notification_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → user #{self.recipient_user_id} ({self.status})"


class Wisher(models.Model):
    """Who wishes for which product (찜): notice's own copy, built from ProductWished and
    ProductUnwished, so it can tell wishers without asking the product context."""

    product_id = models.BigIntegerField()
    user_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product_id", "user_id"], name="wisher_once")]

    def __str__(self) -> str:
        return f"user #{self.user_id} wishes product #{self.product_id}"
