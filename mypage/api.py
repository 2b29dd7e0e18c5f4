"""The my-page API: the read model as JSON, and the reference scenario's HAL route ``/myPages``."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import HAL_PAGE_PARAMETERS, HalPageInput, Pagination, hal_collection, hal_page_info
from market.errors import ValidationFailed
from market.filters import DateRangeFilter
from market.links import Link
from mypage import selectors
from mypage.models import MyPageRow, PaymentStatus, ReservationStatus

# The reference scenario's status codes.
PRODUCT_CODES = {"available": "01", "pending": "02", "sold_out": "soldOut"}
# A declined or expired reservation ended unpaid like a cancelled one: the reference's 02.
RESERVATION_CODES = {"reserved": "01", "cancelled": "02", "completed": "03", "expired": "02", "declined": "02"}
PAYMENT_CODES = {"unpaid": "01", "paid": "02", "voided": "03"}


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


class MyPageDetailApi(APIView):
    """One reservation with its timeline of state changes (its buyer or its seller only)."""

    name = _("My-page row")
    description = _("One reservation on your my-page with its timeline of state changes.")
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RowDetailOutput})
    def get(self, request, reservation_id: int):
        row = selectors.mypage_row_get(reservation_id=reservation_id, user_id=request.user.pk)
        return Response(RowDetailOutput(row, context={"request": request}).data)


def _hal_item(row: MyPageRow, base: str) -> dict:
    return {
        "id": row.reservation_id,
        "productId": row.product_id,
        "reservationId": row.reservation_id,
        "paymentId": row.payment_id,
        "productName": row.product_name,
        "price": row.price,
        "reservationStatus": RESERVATION_CODES.get(row.reservation_status or ""),
        "paymentStatus": PAYMENT_CODES.get(row.payment_status or ""),
        "productStatus": PRODUCT_CODES.get(row.product_status or ""),
        "_links": {"self": {"href": f"{base}/{row.reservation_id}"}},
    }


class MyPagesHalApi(APIView):
    """The reference route ``GET /myPages``: my rows as a buyer, newest first, in its HAL shape
    and codes (product 01 available / 02 pending / soldOut; reservation 01 reserved /
    02 cancelled, declined or expired / 03 completed; payment 01 unpaid / 02 paid / 03 voided), paged like Spring
    Data REST (``?page=`` from 0, ``?size=`` up to 100)."""

    name = _("My page (reference route)")
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=HAL_PAGE_PARAMETERS,
        responses={200: dict},
    )
    def get(self, request):
        paging = HalPageInput(data=request.query_params)
        if not paging.is_valid():
            raise ValidationFailed(_("Invalid paging."), code="invalid_paging", **paging.errors)
        number, size = paging.validated_data["page"], paging.validated_data["size"]
        rows = selectors.mypage_rows_for_buyer(buyer_id=request.user.pk)
        total = rows.count()
        base = request.build_absolute_uri("/myPages")
        items = (_hal_item(r, base) for r in rows[number * size : (number + 1) * size])
        body = hal_collection("myPages", items, request.build_absolute_uri())
        body["page"] = hal_page_info(number=number, size=size, total=total)
        return Response(body)
