"""The floor's endpoints: the same server, middleware and DRF stack as the app, and nothing else.

``POST /bench/floor/reserve/`` {"item_id"} does, with token auth, in one transaction exactly one
conditional UPDATE and one INSERT: 201, or 409 when the item is already held.
``GET /bench/floor/ping/`` answers trivial JSON without auth or database.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework import serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.floor.models import FloorHold, FloorItem


class PingApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get(self, request):
        return Response({"ok": True})


class ReserveApi(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list = []

    class Input(serializers.Serializer):
        item_id = serializers.IntegerField(min_value=1)

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        item_id = data.validated_data["item_id"]
        with transaction.atomic():
            taken = FloorItem.objects.filter(pk=item_id, status=FloorItem.Status.AVAILABLE).update(
                status=FloorItem.Status.HELD
            )
            if not taken:
                return Response({"code": "item_unavailable", "message": "Taken."}, status=status.HTTP_409_CONFLICT)
            hold = FloorHold.objects.create(item_id=item_id, user=request.user)
        return Response({"id": hold.pk, "item_id": item_id}, status=status.HTTP_201_CREATED)
