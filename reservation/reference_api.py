"""The reservation context's reference routes (Spring Data REST, HAL), same paths, bodies and status
codes as the reference served. Views are thin: the rules and their errors live in services.py, as for
the REST API (reservation/api.py); another user's reservation answers 404, so ids don't leak.

POST /reservation {productId, reservationStatus: "01"}; GET /reservations (yours) as
{"_embedded": {"reservations": [...]}}; PATCH /reservationupdate {id, reservationStatus: "02"}
cancels reservation ``id``. Unlike the reference we never trust the body's productId: the stored
reservation says which product it holds."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import ErrorResponses, validated
from market.db import MAX_ID
from market.hal import (
    HAL_PAGE_PARAMETERS,
    RESERVATION_CODES,
    StatusCodeField,
    StatusCodeInput,
    hal_collection_schema,
    hal_page,
)
from market.resilience import guarded_by
from reservation import selectors, services

_errors = ErrorResponses(
    {
        400: "Invalid input (details per field), malformed JSON or an unsupported status value.",
        403: "Only the buyer may cancel (code not_buyer).",
        404: "No such reservation or product, or not yours (codes reservation_not_found, product_not_found).",
        409: "State conflict: product_unavailable, own_product, already_paid, already_cancelled.",
        503: "Busy: try again shortly.",
    }
)


# Reads a Reservation (every route answers reservations in this shape).
class HalReservationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    productId = serializers.IntegerField(source="product_id")  # the reference's field names
    reservationStatus = StatusCodeField(
        RESERVATION_CODES,
        source="status",
        help_text="01 reserved, 02 cancelled (also declined or expired), 03 completed (paid).",
    )
    productName = serializers.CharField(source="product_name")
    price = serializers.IntegerField()
    buyerId = serializers.IntegerField(source="buyer_id")
    sellerId = serializers.IntegerField(source="seller_id", allow_null=True)


class HalReservationInput(serializers.Serializer):
    productId = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reservationStatus = StatusCodeInput(
        choices=["01"], required=False, help_text="A new reservation is always reserved (01)."
    )


@extend_schema(tags=["reference routes"])
class HalReservationPlaceApi(APIView):
    """``POST /reservation`` as the reference served it."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "reserve"

    @extend_schema(
        operation_id="hal_reservation_create",
        request=HalReservationInput,
        responses={201: HalReservationOutput, **_errors(400, 401, 404, 409, 415, 429, 503)},
    )
    @guarded_by("reservations")  # shed while reserving keeps failing (market.resilience)
    def post(self, request: Request) -> Response:
        data = validated(HalReservationInput, request.data)
        reservation = services.reservation_place(buyer=request.user, product_id=data["productId"])
        return Response(HalReservationOutput(reservation).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["reference routes"])
class HalReservationListApi(APIView):
    """``GET /reservations``: your reservations (as buyer or seller), oldest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="hal_reservations_list",
        parameters=HAL_PAGE_PARAMETERS,
        responses={200: hal_collection_schema("reservations", HalReservationOutput), **_errors(400, 401)},
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.reservation_list_for(user=request.user).order_by("id")
        return Response(hal_page(request, "reservations", queryset, HalReservationOutput))


class HalReservationUpdateInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    reservationStatus = StatusCodeInput(choices=["02"], help_text="02: cancel. No other change exists.")
    productId = serializers.IntegerField(
        required=False, allow_null=True, help_text="Ignored: the stored reservation names its product."
    )


@extend_schema(tags=["reference routes"])
class HalReservationUpdateApi(APIView):
    """``PATCH /reservationupdate {id, reservationStatus: "02"}``: cancel reservation ``id``."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "cancel"

    @extend_schema(
        operation_id="hal_reservation_update",
        request=HalReservationUpdateInput,
        responses={200: HalReservationOutput, **_errors(400, 401, 403, 404, 409, 415, 429, 503)},
    )
    def patch(self, request: Request) -> Response:
        data = validated(HalReservationUpdateInput, request.data)
        reservation = services.reservation_cancel(reservation_id=data["id"], actor=request.user)
        return Response(HalReservationOutput(reservation).data)
