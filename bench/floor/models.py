"""Two tables, the least a reservation needs: the thing held (one conditional UPDATE) and the hold
(one INSERT)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FloorItem(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available"
        HELD = "held"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE)

    def __str__(self) -> str:
        return f"floor item #{self.pk} ({self.status})"


class FloorHold(models.Model):
    item = models.ForeignKey(FloorItem, on_delete=models.CASCADE, related_name="holds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"hold of item #{self.item_id} by user #{self.user_id}"
