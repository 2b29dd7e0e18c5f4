"""The payment context's REST API under /api/payments/ (the reference's HAL routes are in
reference_api.py).

Views are thin: validate input, call a service or a selector, render output. Another user's
payment answers 404 (the selectors and services decide), so ids don't leak. Paying depends on no
other context: it works while the product and reservation modules are paused or failing."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import ErrorResponses, path_id
from market.db import MAX_ID
from market.filters import DateRangeFilter
from market.links import Link, is_reader_while
from payment import selectors, services
from payment.models import Payment

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
    url = Link("payment-detail", pk="id")
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
    reservation = Link("reservation-detail", pk="reservation_id")
    product = Link("product-detail", pk="product_id")
    mypage = Link("mypage-detail", reservation_id="reservation_id")
    pay = Link(
        "payment-pay",
        pk="id",
        when=is_reader_while("buyer_id", "status", *Payment.transitions["pay"].source),
        help_text="POST here to pay: for the buyer while it is unpaid (else null).",
    )


class PaymentFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        choices=[("buyer", _("as buyer")), ("seller", _("as seller"))], method="by_role", label=_("Role")
    )
    status = django_filters.ChoiceFilter(choices=Payment.Status.choices, label=_("Status"))
    reservation = django_filters.NumberFilter(
        field_name="reservation_id", min_value=1, max_value=MAX_ID, label=_("Reservation id")
    )
    created = DateRangeFilter(field_name="created_at", label=_("Requested between (dates)"))

    class Meta:
        model = Payment
        fields = ["role", "status", "reservation", "created"]

    def by_role(self, queryset, name, value):
        return queryset & selectors.payment_list_for(user=self.request.user, role=value)


@extend_schema(tags=["payments"])
class PaymentListApi(GenericAPIView):
    """Your payments: the ones you owe or made (buyer) and those for your products (seller)."""

    name = _("My payments")
    description = _(
        "Payments you owe or made (as buyer) and those for your products (as seller), newest first. "
        "Filter by role, status, reservation and date."
    )
    permission_classes = [IsAuthenticated]
    serializer_class = PaymentOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = PaymentFilter

    def get_queryset(self) -> QuerySet[Payment]:
        return selectors.payment_list_for(user=self.request.user)

    @extend_schema(
        operation_id="payments_list",
        responses={200: PaymentOutput(many=True), **_errors(400, 401)},
    )
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(PaymentOutput(page, many=True, context={"request": request}).data)


@extend_schema(tags=["payments"])
class PaymentDetailApi(APIView):
    """One of your payments (as buyer or seller)."""

    name = _("Payment")
    description = _("One of your payments, with links to its reservation, product and the pay action.")
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="payments_retrieve", responses={200: PaymentOutput, **_errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        payment = selectors.payment_get_for(user=request.user, payment_id=path_id(pk, "payment"))
        return Response(PaymentOutput(payment, context={"request": request}).data)


class BuyerMayPay(BasePermission):
    def has_object_permission(self, request: Request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return isinstance(obj, Payment) and obj.buyer_id == request.user.pk and Payment.transitions.allows(obj, "pay")


@extend_schema(tags=["payments"])
class PaymentPayApi(APIView):
    """Pay for your reservation. The product becomes sold out and the reservation completed."""

    name = _("Pay")
    description = _("POST to pay for your reservation: the product becomes sold out, the reservation completed.")
    # BuyerMayPay decides whether the browsable API offers the POST button (the service decides
    # for every request).
    permission_classes = [IsAuthenticated, BuyerMayPay]
    throttle_scope = "pay"

    @extend_schema(operation_id="payments_pay_preview", responses={200: PaymentOutput, **_errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        """The payment this action would pay (so a link to the action opens a page)."""
        payment = selectors.payment_get_for(user=request.user, payment_id=path_id(pk, "payment"))
        return Response(PaymentOutput(payment, context={"request": request}).data)

    @extend_schema(
        operation_id="payments_pay",
        request=None,
        responses={200: PaymentOutput, **_errors(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = services.payment_pay(payment_id=path_id(pk, "payment"), actor=request.user)
        return Response(PaymentOutput(payment, context={"request": request}).data)


@extend_schema(tags=["payments"])
class ReservationPaymentApi(APIView):
    """The payment of one of your reservations (``/api/reservations/{id}/payment/``)."""

    name = _("Payment of the reservation")
    description = _("The payment of this reservation (created a moment after the reservation).")
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="reservations_payment", responses={200: PaymentOutput, **_errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        payment = selectors.payment_for_reservation(user=request.user, reservation_id=path_id(pk, "payment"))
        return Response(PaymentOutput(payment, context={"request": request}).data)
