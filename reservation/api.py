"""The reservation context's REST API under /api/reservations/ (the reference's HAL routes are in
reference_api.py).

Views are thin: validate input, call a service or a selector, render output. Another user's
reservation answers 404 (the selectors and services decide), so ids don't leak."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import ErrorResponses, path_id, validated
from market.db import MAX_ID
from market.filters import DateRangeFilter
from market.links import Link, is_reader_while
from market.resilience import guarded_by
from reservation import selectors, services
from reservation.models import END_REASON_MAX_LENGTH, Reservation

_errors = ErrorResponses(
    {
        400: "Invalid input (details per field), malformed JSON or an unsupported status value.",
        403: "Only the buyer may cancel (code not_buyer).",
        404: "No such reservation or product, or not yours (codes reservation_not_found, product_not_found).",
        409: "State conflict: product_unavailable, own_product, already_paid, already_cancelled.",
        503: "Busy: try again shortly.",
    }
)


# --- /api/reservations/ -----------------------------------------------------------------------------


class ReservationOutput(serializers.Serializer):
    url = Link("reservation-detail", pk="id")
    id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    price = serializers.IntegerField(help_text="Whole won, the product's price when it was reserved.")
    status = serializers.ChoiceField(choices=Reservation.Status.choices)
    buyer_id = serializers.IntegerField()
    buyer = serializers.CharField(source="buyer.username", help_text="The buyer's username.")
    seller_id = serializers.IntegerField(allow_null=True)
    hold_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Unpaid by then, the reservation expires and the product is available again."
    )
    end_reason = serializers.CharField(help_text="Why the seller declined it (or staff released it); else empty.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    product = Link("product-detail", pk="product_id")
    # Served by the payment context (the route's name is shared, not its code).
    payment = Link("reservation-payment", pk="id", help_text="Its payment (once created).")
    mypage = Link("mypage-detail", reservation_id="id", help_text="Its my-page row, with the timeline.")
    cancel = Link(
        "reservation-cancel",
        pk="id",
        when=is_reader_while("buyer_id", "status", *Reservation.transitions["cancel"].source),
        help_text="POST here to cancel: for the buyer while it is reserved (else null).",
    )


class ReservationFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        choices=[("buyer", _("as buyer")), ("seller", _("as seller"))], method="by_role", label=_("Role")
    )
    status = django_filters.ChoiceFilter(choices=Reservation.Status.choices, label=_("Status"))
    product = django_filters.NumberFilter(field_name="product_id", min_value=1, max_value=MAX_ID, label=_("Product id"))
    created = DateRangeFilter(field_name="created_at", label=_("Reserved between (dates)"))

    class Meta:
        model = Reservation
        fields = ["role", "status", "product", "created"]

    def by_role(self, queryset, name, value):
        return queryset & selectors.reservation_list_for(user=self.request.user, role=value)


class ReservationCreateInput(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


@extend_schema(tags=["reservations"])
class ReservationListApi(GenericAPIView):
    """Your reservations, as buyer or as seller of the product (``?role=``); reserve a product."""

    name = _("My reservations")
    description = _(
        "Reservations you made (as buyer) and those of your products (as seller), newest first. "
        "Filter by role, status, product and date; reserve a product below."
    )
    permission_classes = [IsAuthenticated]
    throttle_scope = "reserve"
    serializer_class = ReservationOutput
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = ReservationFilter

    def get_queryset(self) -> QuerySet[Reservation]:
        return selectors.reservation_list_for(user=self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        # The browsable API's form posts the input, not the output.
        return ReservationCreateInput if self.request.method == "POST" else ReservationOutput

    @extend_schema(
        operation_id="reservations_list",
        responses={200: ReservationOutput(many=True), **_errors(400, 401)},
    )
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(ReservationOutput(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="reservations_create",
        request=ReservationCreateInput,
        responses={201: ReservationOutput, **_errors(400, 401, 404, 409, 415, 429, 503)},
    )
    @guarded_by("reservations")  # shed while reserving keeps failing (market.resilience)
    def post(self, request: Request) -> Response:
        data = validated(ReservationCreateInput, request.data)
        reservation = services.reservation_place(buyer=request.user, product_id=data["product_id"])
        output = ReservationOutput(reservation, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["reservations"])
class ReservationDetailApi(APIView):
    """One of your reservations (as buyer or seller)."""

    name = _("Reservation")
    description = _("One of your reservations, with links to its product, payment, my-page row and actions.")
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="reservations_retrieve", responses={200: ReservationOutput, **_errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        reservation = selectors.reservation_get_for(user=request.user, reservation_id=path_id(pk, "reservation"))
        return Response(ReservationOutput(reservation, context={"request": request}).data)


class BuyerMayCancel(BasePermission):
    def has_object_permission(self, request: Request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return (
            isinstance(obj, Reservation)
            and obj.buyer_id == request.user.pk
            and Reservation.transitions.allows(obj, "cancel")
        )


@extend_schema(tags=["reservations"])
class ReservationCancelApi(APIView):
    """Cancel your reservation while it is unpaid: the product is freed and its payment voided."""

    name = _("Cancel the reservation")
    description = _("POST to cancel your reservation while it is unpaid: the product is freed, the payment voided.")
    # BuyerMayCancel decides whether the browsable API offers the POST button (the service decides
    # for every request).
    permission_classes = [IsAuthenticated, BuyerMayCancel]
    throttle_scope = "cancel"

    @extend_schema(operation_id="reservations_cancel_preview", responses={200: ReservationOutput, **_errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        """The reservation this action would cancel (so a link to the action opens a page)."""
        reservation = selectors.reservation_get_for(user=request.user, reservation_id=path_id(pk, "reservation"))
        return Response(ReservationOutput(reservation, context={"request": request}).data)

    @extend_schema(
        operation_id="reservations_cancel",
        request=None,
        responses={200: ReservationOutput, **_errors(401, 403, 404, 409, 429, 503)},
    )
    def post(self, request: Request, pk: int) -> Response:
        reservation = services.reservation_cancel(reservation_id=path_id(pk, "reservation"), actor=request.user)
        return Response(ReservationOutput(reservation, context={"request": request}).data)


class ReservationDeclineInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=END_REASON_MAX_LENGTH, required=False, allow_blank=True, default="", help_text="Told to the buyer."
    )


_decline_errors = ErrorResponses(
    {
        400: "Invalid input (details per field) or malformed JSON.",
        403: "You see the reservation but are not its product's seller (code not_seller).",
        404: "No such reservation, or not yours (code reservation_not_found).",
        409: "Paid already (already_paid) or already ended (already_cancelled, reservation_ended).",
        503: "Busy: try again shortly.",
    }
)


@extend_schema(tags=["reservations"])
class ReservationDeclineApi(APIView):
    """The product's seller declines an unpaid reservation (an optional ``reason`` is told to the
    buyer): the product is available again and the payment voided."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "cancel"

    def get_serializer(self, *args, **kwargs):  # the browsable API's form
        return ReservationDeclineInput(*args, **kwargs)

    @extend_schema(
        operation_id="reservations_decline",
        request=ReservationDeclineInput,
        responses={200: ReservationOutput, **_decline_errors(400, 401, 403, 404, 409, 415, 429, 503)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = validated(ReservationDeclineInput, request.data)
        reservation = services.reservation_decline(
            reservation_id=path_id(pk, "reservation"), actor=request.user, reason=data["reason"]
        )
        return Response(ReservationOutput(reservation).data)
