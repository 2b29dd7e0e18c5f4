"""The payment context's reference routes (Spring Data REST, HAL), same paths, bodies and status
codes as the reference served. Views are thin: the rules and their errors live in services.py, as for
the REST API (payment/api.py); another user's payment answers 404, so ids don't leak.

PATCH /paid {id, reservationId, productId, paymentStatus: "02"} pays payment ``id`` (or, without
``id``, the payment of ``reservationId``); GET /payments lists yours as
{"_embedded": {"payments": [...]}}. Unlike the reference we never trust the body's productId: the
stored payment says what is paid for. A reservationId that names another reservation than the
stored payment's is a 409 (reservation_mismatch): the client's picture of the payment is wrong."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import ErrorResponses, validated
from market.db import MAX_ID
from market.errors import Conflict
from market.hal import (
    HAL_PAGE_PARAMETERS,
    PAYMENT_CODES,
    StatusCodeField,
    StatusCodeInput,
    hal_collection_schema,
    hal_page,
)
from payment import selectors, services

_errors = ErrorResponses(
    {
        400: "Invalid input (details per field), malformed JSON or an unsupported status value.",
        403: "Only the buyer may pay (code not_buyer).",
        404: "No such payment, or not yours (code payment_not_found).",
        409: "State conflict: payment_voided, already_paid, reservation_mismatch.",
    }
)


# Reads a Payment (both routes answer payments in this shape).
class HalPaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reservationId = serializers.IntegerField(source="reservation_id")  # the reference's field names
    productId = serializers.IntegerField(source="product_id")
    paymentStatus = StatusCodeField(PAYMENT_CODES, source="status", help_text="01 unpaid, 02 paid, 03 voided.")
    amount = serializers.IntegerField()
    buyerId = serializers.IntegerField(source="buyer_id")
    sellerId = serializers.IntegerField(source="seller_id")
    paidAt = serializers.DateTimeField(source="paid_at", allow_null=True)


class HalPaidInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="The payment to pay.")
    reservationId = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Must be the payment's reservation if given."
    )
    paymentStatus = StatusCodeInput(choices=["02"], help_text="02: paid. No other change exists.")
    productId = serializers.IntegerField(
        required=False, allow_null=True, help_text="Ignored: the stored payment names its product."
    )

    def validate(self, attrs: dict) -> dict:
        if "id" not in attrs and "reservationId" not in attrs:
            raise serializers.ValidationError({"id": ["Give the payment's id (or its reservationId)."]})
        return attrs


@extend_schema(tags=["reference routes"])
class HalPaidApi(APIView):
    """``PATCH /paid``: pay a payment, as the reference did (but acting only on the stored payment)."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "pay"

    @extend_schema(
        operation_id="hal_paid",
        request=HalPaidInput,
        responses={200: HalPaymentOutput, **_errors(400, 401, 403, 404, 409, 415, 429)},
    )
    def patch(self, request: Request) -> Response:
        data = validated(HalPaidInput, request.data)
        if "id" in data:
            payment_id = data["id"]
            if "reservationId" in data:
                stored = selectors.payment_get_for(user=request.user, payment_id=payment_id)
                if stored.reservation_id != data["reservationId"]:
                    raise Conflict(
                        _("This payment belongs to another reservation."),
                        code="reservation_mismatch",
                        reservation_id=stored.reservation_id,
                    )
        else:
            payment_id = selectors.payment_for_reservation(user=request.user, reservation_id=data["reservationId"]).pk
        payment = services.payment_pay(payment_id=payment_id, actor=request.user)
        return Response(HalPaymentOutput(payment).data)


@extend_schema(tags=["reference routes"])
class HalPaymentListApi(APIView):
    """``GET /payments``: your payments (as buyer or seller), oldest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="hal_payments_list",
        parameters=HAL_PAGE_PARAMETERS,
        responses={200: hal_collection_schema("payments", HalPaymentOutput), **_errors(400, 401)},
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.payment_list_for(user=request.user).order_by("id")
        return Response(hal_page(request, "payments", queryset, HalPaymentOutput))
