"""Queries of the notice context."""

from __future__ import annotations

from django.db.models import QuerySet

from notice.models import Notification


def notification_list_for(*, user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_user_id=user_id).order_by("-created_at", "-id")
