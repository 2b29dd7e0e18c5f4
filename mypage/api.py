"""The my-page API: the read model as JSON, and the reference scenario's HAL route ``/myPages``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import HAL_PAGE_PARAMETERS, HalPageInput, Pagination, hal_collection, hal_page_info
from market.errors import ValidationFailed
from mypage import selectors
from mypage.models import MyPageRow, PaymentStatus, ReservationStatus

# The reference scenario's status codes.
PRODUCT_CODES = {"available": "01", "pending": "02", "sold_out": "soldOut"}
RESERVATION_CODES = {"reserved": "01", "cancelled": "02", "completed": "03"}
PAYMENT_CODES = {"unpaid": "01", "paid": "02", "voided": "03"}


class RowOutput(serializers.Serializer):
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
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


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


class FilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReservationStatus.values, required=False)
    payment_status = serializers.ChoiceField(choices=PaymentStatus.values, required=False)


def _filters(request) -> dict:
    serializer = FilterInput(data=request.query_params)
    if not serializer.is_valid():
        raise ValidationFailed("Unknown status filter.", code="invalid_filter", **serializer.errors)
    return dict(serializer.validated_data)


_filter_parameters = [
    OpenApiParameter("status", enum=ReservationStatus.values, description="Reservation status."),
    OpenApiParameter("payment_status", enum=PaymentStatus.values, description="Payment status."),
]


class _RowListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination  # also tells the schema that the list is paginated

    def rows(self, request, filters: dict):
        raise NotImplementedError

    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(self.rows(request, _filters(request)), request, view=self)
        return paginator.get_paginated_response(RowOutput(page, many=True).data)


class MyPageListApi(_RowListApi):
    """My reservations as a buyer, newest first, with their reservation, payment and product states."""

    @extend_schema(parameters=_filter_parameters, responses={200: RowOutput(many=True)})
    def get(self, request):
        return super().get(request)

    def rows(self, request, filters: dict):
        return selectors.mypage_rows_for_buyer(buyer_id=request.user.pk, **filters)


class MyPageSalesApi(_RowListApi):
    """Reservations of my products (the seller's view), newest first."""

    @extend_schema(parameters=_filter_parameters, responses={200: RowOutput(many=True)})
    def get(self, request):
        return super().get(request)

    def rows(self, request, filters: dict):
        return selectors.mypage_rows_for_seller(seller_id=request.user.pk, **filters)


class MyPageDetailApi(APIView):
    """One reservation with its timeline of state changes (its buyer or its seller only)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RowDetailOutput})
    def get(self, request, reservation_id: int):
        row = selectors.mypage_row_get(reservation_id=reservation_id, user_id=request.user.pk)
        return Response(RowDetailOutput(row).data)


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
    02 cancelled / 03 completed; payment 01 unpaid / 02 paid / 03 voided), paged like Spring
    Data REST (``?page=`` from 0, ``?size=`` up to 100)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=HAL_PAGE_PARAMETERS,
        responses={200: dict},
    )
    def get(self, request):
        paging = HalPageInput(data=request.query_params)
        if not paging.is_valid():
            raise ValidationFailed("Invalid paging.", code="invalid_paging", **paging.errors)
        number, size = paging.validated_data["page"], paging.validated_data["size"]
        rows = selectors.mypage_rows_for_buyer(buyer_id=request.user.pk)
        total = rows.count()
        base = request.build_absolute_uri("/myPages")
        items = (_hal_item(r, base) for r in rows[number * size : (number + 1) * size])
        body = hal_collection("myPages", items, request.build_absolute_uri())
        body["page"] = hal_page_info(number=number, size=size, total=total)
        return Response(body)
