"""Queries of the notice context."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from market.db import parse_id
from market.errors import NotFound
from notice.models import Notification


def notification_list_for(*, user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_user_id=user_id).order_by("-created_at", "-id")


def notification_get_for(*, user_id: int, notification_id: int) -> Notification:
    """One of the user's own notifications; anyone else's is 404."""
    notification_id = parse_id(notification_id)
    notification = (
        Notification.objects.filter(pk=notification_id, recipient_user_id=user_id).first()
        if notification_id is not None
        else None
    )
    if notification is None:
        raise NotFound(_("No such notification."), code="notification_not_found")
    return notification
