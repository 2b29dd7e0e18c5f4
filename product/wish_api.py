"""The wish list (찜) over HTTP: ``POST``/``DELETE /api/products/{id}/wish/`` and ``GET /api/wishes/``.
Views are thin: the rules live in ``product.services`` and ``product.selectors``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import ErrorResponses, Pagination, path_id
from product import selectors, services
from product.models import Product, Wish

_errors = ErrorResponses(
    {
        404: "No such product (code product_not_found).",
        409: "Your own product cannot be wished for (code own_product).",
    }
)


class WishOutput(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField(source="product.name")
    price = serializers.IntegerField(source="product.price", help_text="Whole won, the current price.")
    status = serializers.ChoiceField(
        source="product.status", choices=Product.Status.choices, help_text="The product's current status."
    )
    seller = serializers.CharField(source="product.seller.username", help_text="The seller's username.")
    wished_at = serializers.DateTimeField(source="created_at")


@extend_schema(tags=["wishes"])
class ProductWishApi(APIView):
    """Put a product on your wish list (idempotent: 201 the first time, 200 after) or take it off
    (204, also when it was not on it). You hear when it is available again or cheaper."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "register"

    @extend_schema(
        operation_id="products_wish_create",
        request=None,
        responses={201: WishOutput, 200: WishOutput, **_errors(401, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        wish, created = services.product_wish(product_id=path_id(pk, "product"), user=request.user)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(WishOutput(wish).data, status=answer)

    @extend_schema(operation_id="products_wish_destroy", responses={204: None, **_errors(401, 404, 429)})
    def delete(self, request: Request, pk: int) -> Response:
        services.product_unwish(product_id=path_id(pk, "product"), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["wishes"])
class WishListApi(GenericAPIView):
    """Your wish list, newest first, with each product's current status and price."""

    permission_classes = [IsAuthenticated]
    serializer_class = WishOutput
    pagination_class = Pagination
    queryset = Wish.objects.none()  # for the schema; the rows come from the selector

    @extend_schema(operation_id="wishes_list", responses={200: WishOutput(many=True), **_errors(401)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.wish_list_for(user=request.user))
        return self.get_paginated_response(WishOutput(page, many=True).data)
