"""The notification API: a signed-in user's own notifications, newest first, and marking one read."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import Pagination, path_id
from market.filters import DateRangeFilter
from market.links import Link
from notice import services
from notice.models import Notification
from notice.selectors import notification_get_for, notification_list_for


class NotificationOutput(serializers.Serializer):
    url = Link("notification-detail", pk="id")
    id = serializers.IntegerField()
    event_type = serializers.CharField()
    kind = serializers.CharField()
    channel = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(allow_null=True)
    mark_read = Link("notification-read", pk="id", help_text="POST here to mark it read.")

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationFilter(django_filters.FilterSet):
    read = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", exclude=True, label=_("Read"))
    created = DateRangeFilter(field_name="created_at", label=_("Sent between (dates)"))

    class Meta:
        model = Notification
        fields = ["read", "created"]


class NotificationListApi(GenericAPIView):
    """My KakaoTalk notifications (and console ones, for users without a phone)."""

    name = _("My notifications")
    description = _("Your KakaoTalk notifications, newest first. Filter by read or unread and by date.")
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination  # also tells the schema that the list is paginated
    serializer_class = NotificationOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = NotificationFilter

    def get_queryset(self):
        return notification_list_for(user_id=self.request.user.pk)

    @extend_schema(responses={200: NotificationOutput(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(NotificationOutput(page, many=True, context={"request": request}).data)


class NotificationDetailApi(APIView):
    """One of my notifications."""

    name = _("Notification")
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: NotificationOutput})
    def get(self, request: Request, pk: int) -> Response:
        notification = notification_get_for(user_id=request.user.pk, notification_id=path_id(pk, "notification"))
        return Response(NotificationOutput(notification, context={"request": request}).data)


class NotificationReadApi(APIView):
    """Mark one of my notifications read."""

    name = _("Mark as read")
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notifications_read_preview", responses={200: NotificationOutput})
    def get(self, request: Request, pk: int) -> Response:
        """The notification this action would mark read (so a link to the action opens a page)."""
        notification = notification_get_for(user_id=request.user.pk, notification_id=path_id(pk, "notification"))
        return Response(NotificationOutput(notification, context={"request": request}).data)

    @extend_schema(operation_id="notifications_read", request=None, responses={200: NotificationOutput})
    def post(self, request: Request, pk: int) -> Response:
        notification = notification_get_for(user_id=request.user.pk, notification_id=path_id(pk, "notification"))
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationOutput(notification, context={"request": request}).data)
