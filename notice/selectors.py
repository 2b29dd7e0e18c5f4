"""Queries of the notice context."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from market.db import get_or_404
from notice.models import Notification


def notification_list_for(*, user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_user_id=user_id).order_by("-created_at", "-id")


def notification_get_for(*, user_id: int, notification_id: int) -> Notification:
    """One of the user's own notifications; anyone else's is 404."""
    return get_or_404(
        Notification.objects.filter(recipient_user_id=user_id),
        notification_id,
        _("No such notification."),
        "notification_not_found",
    )
