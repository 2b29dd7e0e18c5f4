"""The product context's reference routes (Spring Data REST, HAL): ``POST /product`` and
``GET /products``, same paths, bodies and status codes as the reference served. Views are thin: the
rules and their errors live in services.py, as for the REST API (product/api.py).

POST /product {productName, productStatus: "01"} registers a product (price optional, 0 by default,
as the reference's bodies carry none); GET /products lists them as {"_embedded": {"products": [...]}}
with Spring's 0-based ?page= and ?size= and its "page" block."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import ErrorResponses, validated
from market.hal import (
    HAL_PAGE_PARAMETERS,
    PRODUCT_CODES,
    StatusCodeField,
    StatusCodeInput,
    hal_collection_schema,
    hal_page,
)
from product import selectors, services
from product.models import DESCRIPTION_MAX_LENGTH, MAX_PRICE, NAME_MAX_LENGTH

_errors = ErrorResponses(
    {400: "Invalid input (details per field), malformed JSON or an unsupported content type."},
)


# Reads a Product (both routes answer products in this shape).
class HalProductOutput(serializers.Serializer):
    id = serializers.IntegerField()
    productName = serializers.CharField(source="name")  # the reference's field names
    productStatus = StatusCodeField(PRODUCT_CODES, source="status", help_text="01 available, 02 pending, soldOut.")
    description = serializers.CharField()
    price = serializers.IntegerField()
    sellerId = serializers.IntegerField(source="seller_id")
    seller = serializers.CharField(source="seller.username")


class HalProductInput(serializers.Serializer):
    productName = serializers.CharField(max_length=NAME_MAX_LENGTH)
    productStatus = StatusCodeInput(choices=["01"], required=False, help_text="A new product is always available (01).")
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, default="")
    price = serializers.IntegerField(min_value=0, max_value=MAX_PRICE, required=False, default=0)


@extend_schema(tags=["reference routes"])
class HalProductRegisterApi(APIView):
    """``POST /product`` as the reference served it; you become the seller."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "register"

    @extend_schema(
        operation_id="hal_product_create",
        request=HalProductInput,
        responses={201: HalProductOutput, **_errors(400, 401, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(HalProductInput, request.data)
        product = services.product_register(
            seller=request.user, name=data["productName"], price=data["price"], description=data["description"]
        )
        return Response(HalProductOutput(product, context={"request": request}).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["reference routes"])
class HalProductListApi(APIView):
    """``GET /products``: every product, oldest first, in the reference's HAL shape."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        operation_id="hal_products_list",
        parameters=HAL_PAGE_PARAMETERS,
        responses={200: hal_collection_schema("products", HalProductOutput), **_errors(400)},
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.product_list().order_by("id")
        return Response(hal_page(request, "products", queryset, HalProductOutput))
