"""The notification API: a signed-in user's own notifications, newest first."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from market.api import Pagination
from notice.selectors import notification_list_for


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event_type = serializers.CharField()
    kind = serializers.CharField()
    channel = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class NotificationListApi(APIView):
    """My KakaoTalk notifications (and console ones, for users without a phone)."""

    permission_classes = [IsAuthenticated]
    pagination_class = Pagination  # also tells the schema that the list is paginated

    @extend_schema(responses={200: NotificationOutput(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notification_list_for(user_id=request.user.pk), request, view=self)
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)
