"""The reference scenario's HAL route ``GET /myPages`` over the my-page read model (the REST API is
in mypage/api.py). The states are shown by the reference's codes (market.hal), the same codes that
``/products``, ``/reservations`` and ``/payments`` answer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.errors import ValidationFailed
from market.hal import (
    HAL_PAGE_PARAMETERS,
    PAYMENT_CODES,
    PRODUCT_CODES,
    RESERVATION_CODES,
    HalPageInput,
    hal_collection,
    hal_page_info,
)
from mypage import selectors
from mypage.models import MyPageRow


# The output of MyPagesHalApi, one row (a dict: the schema shows the body as an object).
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
