"""What accounts keep besides Django's own user."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What accounts know about a user beyond Django's auth: a phone number for KakaoTalk."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    phone = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        # The table this model had while it lived in the market app: it moved without a rename
        # (accounts' 0001 and market's 0006 change Django's state only).
        db_table = "market_profile"

    def __str__(self) -> str:
        return f"{self.user} ({self.phone or 'no phone'})"
