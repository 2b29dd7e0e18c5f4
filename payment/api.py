"""The payment context's HTTP face: the REST API under /api/payments/ and the reference's routes
(``PATCH /paid``, ``GET /payments``).

Views are thin: validate input, call a service or a selector, render output. Another user's
payment answers 404 (the selectors and services decide), so ids don't leak. Paying depends on no
other context: it works while the product and reservation modules are paused or failing."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import (
    HAL_PAGE_PARAMETERS,
    ErrorResponses,
    StatusCodeField,
    StatusCodeInput,
    hal_collection_schema,
    hal_page,
    path_id,
    validated,
)
from market.db import MAX_ID
from market.errors import Conflict
from payment import selectors, services
from payment.models import Payment

# The reference's payment codes: 01 unpaid, 02 paid. It had no "voided" state; we show it as 03.
STATUS_TO_CODE = {
    Payment.Status.UNPAID: "01",
    Payment.Status.PAID: "02",
    Payment.Status.VOIDED: "03",
}


_errors = ErrorResponses(
    {
        400: "Invalid input (details per field), malformed JSON or an unsupported status value.",
        403: "Only the buyer may pay (code not_buyer).",
        404: "No such payment, or not yours (code payment_not_found).",
        409: "State conflict: payment_voided, already_paid, reservation_mismatch.",
    }
)


# --- /api/payments/ -----------------------------------------------------------------------------------


class PaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reservation_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    buyer_id = serializers.IntegerField()
    seller_id = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Whole won: the product's price when it was reserved.")
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)


class PaymentListFilter(serializers.Serializer):
    role = serializers.ChoiceField(choices=["buyer", "seller"], required=False)
    status = serializers.ChoiceField(choices=Payment.Status.choices, required=False)


@extend_schema(tags=["payments"])
class PaymentListApi(GenericAPIView):
    """Your payments: the ones you owe or made (buyer) and those for your products (seller)."""

    permission_classes = [IsAuthenticated]
    serializer_class = PaymentOutput

    def get_queryset(self) -> QuerySet[Payment]:
        return selectors.payment_list_for(user=self.request.user)

    @extend_schema(
        operation_id="payments_list",
        parameters=[
            OpenApiParameter("role", str, enum=["buyer", "seller"], description="Only as buyer or as seller."),
            OpenApiParameter("status", str, enum=Payment.Status.values),
        ],
        responses={200: PaymentOutput(many=True), **_errors(400, 401)},
    )
    def get(self, request: Request) -> Response:
        wanted = validated(PaymentListFilter, request.query_params)
        queryset = selectors.payment_list_for(user=request.user, role=wanted.get("role"))
        if "status" in wanted:
            queryset = queryset.filter(status=wanted["status"])
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(PaymentOutput(page, many=True).data)


@extend_schema(tags=["payments"])
class PaymentDetailApi(APIView):
    """One of your payments (as buyer or seller)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="payments_retrieve", responses={200: PaymentOutput, **_errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        payment = selectors.payment_get_for(user=request.user, payment_id=path_id(pk, "payment"))
        return Response(PaymentOutput(payment).data)


@extend_schema(tags=["payments"])
class PaymentPayApi(APIView):
    """Pay for your reservation. The product becomes sold out and the reservation completed."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "pay"

    @extend_schema(
        operation_id="payments_pay",
        request=None,
        responses={200: PaymentOutput, **_errors(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = services.payment_pay(payment_id=path_id(pk, "payment"), actor=request.user)
        return Response(PaymentOutput(payment).data)


# --- the reference's routes (Spring Data REST shape) --------------------------------------------------
#
# PATCH /paid {id, reservationId, productId, paymentStatus: "02"} pays payment ``id`` (or, without
# ``id``, the payment of ``reservationId``); GET /payments lists yours as
# {"_embedded": {"payments": [...]}}. Unlike the reference we never trust the body's productId: the
# stored payment says what is paid for. A reservationId that names another reservation than the
# stored payment's is a 409 (reservation_mismatch): the client's picture of the payment is wrong.


class HalPaymentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reservationId = serializers.IntegerField(source="reservation_id")  # the reference's field names
    productId = serializers.IntegerField(source="product_id")
    paymentStatus = StatusCodeField(STATUS_TO_CODE, source="status", help_text="01 unpaid, 02 paid, 03 voided.")
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
                        "This payment belongs to another reservation.",
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
