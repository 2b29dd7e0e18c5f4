"""The product context's REST API: the catalogue under /api/products/ and the wish list (찜) under
/api/products/{id}/wish/ and /api/wishes/ (the reference's HAL routes are in reference_api.py).
Views are thin: validate input, call a service or a selector, render output. Rules and errors live
in services.py (errors render as ``{"code", "message"}``); limits in models.py."""

from __future__ import annotations

import zoneinfo

import django_filters
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import filters, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market.api import (
    CatalogueCursorPagination,
    CataloguePagination,
    ErrorResponses,
    Pagination,
    path_id,
    validated,
)
from market.db import MAX_ID
from market.links import Link, is_reader
from market.response_cache import anonymous_response_cache
from product import selectors, services
from product.models import DESCRIPTION_MAX_LENGTH, MAX_PRICE, NAME_MAX_LENGTH, Product, Wish

# Timestamps are shown in settings.TIME_ZONE, as DRF does when no other zone is active (nothing here
# activates one). Naming the zone spares DRF looking up the active one for every timestamp, 40 times
# for a page of the catalogue: a tenth of the list's CPU.
API_TIME_ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)

_errors = ErrorResponses(
    {
        400: "Invalid input (details per field), malformed JSON or an unsupported content type.",
        403: "Not the seller of this product (code not_seller).",
        404: "No such product (code product_not_found).",
        409: "The product is no longer available, so it cannot be edited or deleted (product_not_editable).",
    }
)


# --- /api/products/ -------------------------------------------------------------------------------


# Reads a Product or a row of selectors.product_list_rows (its columns bear the same names).
# (A comment, not a docstring: the schema would show a docstring as the component's description.)
class ProductOutput(serializers.Serializer):
    url = Link("product-detail", pk="id")
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    price = serializers.IntegerField(help_text="Whole won.")
    status = serializers.ChoiceField(choices=Product.Status.choices)
    seller_id = serializers.IntegerField()
    seller = serializers.CharField(source="seller_username", help_text="The seller's username.")
    editable = serializers.BooleanField(source="can_edit", help_text="True while the product is available.")
    created_at = serializers.DateTimeField(default_timezone=API_TIME_ZONE)
    updated_at = serializers.DateTimeField(default_timezone=API_TIME_ZONE)
    reservations = Link(
        "reservation-list",
        query={"product": "id"},
        when=is_reader("seller_id"),
        help_text="For its seller: the reservations of this product.",
    )


class ProductFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Product.Status.choices, label=_("Status"))
    seller = django_filters.CharFilter(method="by_seller_username", max_length=150, label=_("Seller (username)"))
    seller_id = django_filters.NumberFilter(
        field_name="seller_id", min_value=1, max_value=MAX_ID, label=_("Seller (user id)")
    )
    min_price = django_filters.NumberFilter(
        field_name="price", lookup_expr="gte", min_value=0, max_value=MAX_PRICE, label=_("Lowest price (won)")
    )
    max_price = django_filters.NumberFilter(
        field_name="price", lookup_expr="lte", min_value=0, max_value=MAX_PRICE, label=_("Highest price (won)")
    )

    class Meta:
        model = Product
        fields = ["status", "seller", "seller_id", "min_price", "max_price"]

    def by_seller_username(self, queryset, name, value):
        return queryset.filter(seller_id__in=selectors.seller_ids_named(value))


class ProductCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, default="")
    price = serializers.IntegerField(min_value=0, max_value=MAX_PRICE, help_text="Whole won; 0 is allowed.")


# Every query parameter the catalogue reads (filters, search, order, paging, DRF's ?format=): its
# anonymous responses are cached per canonical query of these (market.response_cache).
CATALOGUE_QUERY = (
    *ProductFilter.base_filters,
    "search",
    "ordering",
    "page",
    "page_size",
    "cursor",
    "format",
)
cached_for_anonymous = anonymous_response_cache(
    "catalogue", seconds="CATALOGUE_CACHE_SECONDS", query=CATALOGUE_QUERY, defaults={"page": "1"}
)


@extend_schema(tags=["products"])
class ProductListApi(GenericAPIView):
    """Browse products (anyone) or put one up for sale (signed in; you become its seller)."""

    name = _("Products")
    description = _(
        "Second-hand items for sale, newest first. Filter by status, seller (username), price; "
        "search names and descriptions. Signed in, you can put an item up for sale below."
    )
    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_scope = "register"
    serializer_class = ProductOutput
    # Built once, as DRF allows (get_queryset() clones it for each request): resolving the rows'
    # subquery and condition takes longer than PostgreSQL takes to run the query.
    queryset = selectors.product_list_rows()
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    pagination_class = CataloguePagination
    query_parameters = CATALOGUE_QUERY
    filterset_class = ProductFilter
    search_fields = ["name", "description"]  # both trigram-indexed on PostgreSQL (migrations 0003, 0004)
    ordering_fields = ["created_at", "price", "name"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        # The browsable API's form posts the input, not the output.
        return ProductCreateInput if self.request.method == "POST" else ProductOutput

    @extend_schema(
        operation_id="products_list",
        description=(
            "Pages of the catalogue, newest first unless ordered otherwise. For infinite scroll, "
            "`GET /api/products/scroll/` pages the same list by cursor. Anonymous responses may be served "
            "from a cache for up to CATALOGUE_CACHE_SECONDS (2 by default); a change to a product clears it."
        ),
        responses={200: ProductOutput(many=True), **_errors(400)},
    )
    @cached_for_anonymous
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if not queryset.query.order_by:
            queryset = queryset.order_by(*self.ordering)
        elif "id" not in queryset.query.order_by and "-id" not in queryset.query.order_by:
            queryset = queryset.order_by(*queryset.query.order_by, "-id")  # stable pages on ties
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ProductOutput(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="products_create",
        request=ProductCreateInput,
        responses={201: ProductOutput, **_errors(400, 401, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(ProductCreateInput, request.data)
        product = services.product_register(
            seller=request.user, name=data["name"], price=data["price"], description=data["description"]
        )
        return Response(ProductOutput(product, context={"request": request}).data, status=status.HTTP_201_CREATED)


class SellerMayEdit(BasePermission):
    """Changing a product is for its seller while it is available; reading is for anyone."""

    def has_object_permission(self, request: Request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return isinstance(obj, Product) and obj.seller_id == request.user.pk and obj.can_edit()


class ProductDetailOutput(ProductOutput):
    wish_count = serializers.IntegerField(help_text="How many users wish for it (찜); never who.")


class ProductUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False)
    price = serializers.IntegerField(min_value=0, max_value=MAX_PRICE)


class CursorPagedSchema(AutoSchema):
    # Its page is a component of its own, apart from the catalogue's page-number one of the same
    # rows (it has no count).
    def get_paginated_name(self, serializer_name: str) -> str:
        return f"CursorPaginated{serializer_name}List"


@extend_schema(tags=["products"])
class ProductScrollApi(GenericAPIView):
    """The catalogue by cursor, for infinite scroll: follow ``next`` until it is null."""

    name = _("Products (scroll)")
    description = _(
        "The same list as the catalogue, with the same filters, search and order, paged by cursor for "
        "infinite scroll: follow next until it is null. No total and no page numbers."
    )
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = ProductOutput
    queryset = ProductListApi.queryset
    filter_backends = ProductListApi.filter_backends
    pagination_class = CatalogueCursorPagination
    schema = CursorPagedSchema()
    query_parameters = CATALOGUE_QUERY
    filterset_class = ProductFilter
    search_fields = ProductListApi.search_fields
    ordering_fields = ProductListApi.ordering_fields
    ordering = ProductListApi.ordering

    @extend_schema(
        operation_id="products_scroll",
        description=(
            "The catalogue paged by cursor (`?cursor=` from the previous page's `next`), for infinite scroll: "
            "one query per page however deep, and products listed meanwhile neither repeat nor go missing. "
            "Same filters, search and `ordering` as `GET /api/products/`; `page_size` 1 to 100 (20 by default). "
            "A cursor that is not one answers 404. Anonymous responses are cached as the catalogue's are."
        ),
        responses={200: ProductOutput(many=True), **_errors(400)},
    )
    @cached_for_anonymous
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ProductOutput(page, many=True, context={"request": request}).data)


@extend_schema(tags=["products"])
class ProductDetailApi(APIView):
    """One product. Its seller may edit or delete it while it is available."""

    name = _("Product")
    description = _("One item for sale. Its seller may change or withdraw it while it is available.")
    # The object permission only decides which forms the browsable API offers (services enforce
    # the rule for every request): none to edit or delete a product that isn't yours.
    permission_classes = [IsAuthenticatedOrReadOnly, SellerMayEdit]
    throttle_scope = "register"

    @extend_schema(operation_id="products_retrieve", responses={200: ProductDetailOutput, **_errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        product = selectors.product_get_with_wish_count(product_id=path_id(pk, "product"))
        return Response(ProductDetailOutput(product, context={"request": request}).data)

    @extend_schema(
        operation_id="products_update",
        request=ProductUpdateInput,
        responses={200: ProductOutput, **_errors(400, 401, 403, 404, 409, 415)},
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="products_partial_update",
        request=ProductUpdateInput(partial=True),
        responses={200: ProductOutput, **_errors(400, 401, 403, 404, 409, 415)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(operation_id="products_destroy", responses={204: None, **_errors(401, 403, 404, 409)})
    def delete(self, request: Request, pk: int) -> Response:
        services.product_withdraw(product_id=path_id(pk, "product"), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        product_id = path_id(pk, "product")
        data = validated(ProductUpdateInput, request.data, partial=partial)
        product = services.product_update(
            product_id=product_id,
            actor=request.user,
            name=data.get("name"),
            description=data.get("description"),
            price=data.get("price"),
        )
        return Response(ProductOutput(product, context={"request": request}).data)


# --- the wish list (찜) ------------------------------------------------------------------------------


_wish_errors = ErrorResponses(
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
        responses={201: WishOutput, 200: WishOutput, **_wish_errors(401, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        wish, created = services.product_wish(product_id=path_id(pk, "product"), user=request.user)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(WishOutput(wish).data, status=answer)

    @extend_schema(operation_id="products_wish_destroy", responses={204: None, **_wish_errors(401, 404, 429)})
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

    @extend_schema(operation_id="wishes_list", responses={200: WishOutput(many=True), **_wish_errors(401)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.wish_list_for(user=request.user))
        return self.get_paginated_response(WishOutput(page, many=True).data)
