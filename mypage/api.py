"""The my-page REST API: the read model as JSON (the reference's HAL route ``/myPages`` is in
reference_api.py)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import Pagination
from market.errors import ValidationFailed
from market.filters import DateRangeFilter
from market.links import Link
from mypage import selectors
from mypage.models import MyPageRow, PaymentStatus, ReservationStatus


class RowOutput(serializers.Serializer):
    url = Link("mypage-detail", reservation_id="reservation_id")
    reservation_id = serializers.IntegerField()
    product_id = serializers.IntegerField(allow_null=True)
    product_name = serializers.CharField()
    price = serializers.IntegerField(allow_null=True)
    seller_id = serializers.IntegerField(allow_null=True)
    seller_name = serializers.CharField()
    buyer_id = serializers.IntegerField(allow_null=True)
    buyer_name = serializers.CharField()
    payment_id = serializers.IntegerField(allow_null=True)
    reservation_status = serializers.CharField(allow_null=True)
    payment_status = serializers.CharField(allow_null=True)
    product_status = serializers.CharField(allow_null=True)
    hold_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Unpaid by then, the reservation expires and the product is available again."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    reservation = Link("reservation-detail", pk="reservation_id")
    payment = Link("payment-detail", pk="payment_id", help_text="Null until the payment exists.")
    product = Link("product-detail", pk="product_id")


class RowFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        field_name="reservation_status", choices=ReservationStatus.choices, label=_("Reservation status")
    )
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices, label=_("Payment status"))
    created = DateRangeFilter(field_name="created_at", label=_("Reserved between (dates)"))

    class Meta:
        model = MyPageRow
        fields = ["status", "payment_status", "created"]


class RowFilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """django-filter's backend, with the my-page's own error code for a filter it cannot read."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationFailed(_("A filter is not valid; see details."), code="invalid_filter", **filterset.errors)
        return filterset.qs


class _RowListApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination  # also tells the schema that the list is paginated
    serializer_class = RowOutput
    filter_backends = [RowFilterBackend]
    filterset_class = RowFilter

    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(RowOutput(page, many=True, context={"request": request}).data)


class MyPageListApi(_RowListApi):
    """My reservations as a buyer, newest first, with their reservation, payment and product states."""

    name = _("My page")
    description = _(
        "What you reserved, newest first, with the state of each reservation, payment and product. "
        "Follow a row's links to its reservation (cancel), payment (pay) and product."
    )

    @extend_schema(responses={200: RowOutput(many=True)})
    def get(self, request):
        return super().get(request)

    def get_queryset(self):
        return selectors.mypage_rows_for_buyer(buyer_id=self.request.user.pk)


class MyPageSalesApi(_RowListApi):
    """Reservations of my products (the seller's view), newest first."""

    name = _("My sales")
    description = _("Reservations of your products, newest first, with their payment and product states.")

    @extend_schema(responses={200: RowOutput(many=True)})
    def get(self, request):
        return super().get(request)

    def get_queryset(self):
        return selectors.mypage_rows_for_seller(seller_id=self.request.user.pk)


class TimelineOutput(serializers.Serializer):
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    correlation_id = serializers.CharField()
    causation_id = serializers.CharField()


class RowDetailOutput(RowOutput):
    timeline = TimelineOutput(many=True, source="timeline.all")


class MyPageDetailApi(APIView):
    """One reservation with its timeline of state changes (its buyer or its seller only)."""

    name = _("My-page row")
    description = _("One reservation on your my-page with its timeline of state changes.")
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RowDetailOutput})
    def get(self, request, reservation_id: int):
        row = selectors.mypage_row_get(reservation_id=reservation_id, user_id=request.user.pk)
        return Response(RowDetailOutput(row, context={"request": request}).data)
