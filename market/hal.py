"""The reference's routes (Spring Data REST, HAL): its status codes and its paged collections.

Only the contexts' ``reference_api`` modules use this module; their REST APIs (``api.py``) never do.
It lives in market because four contexts answer reference routes and no context imports another,
and because the codes are the reference's one vocabulary: ``/myPages`` shows a product's,
reservation's and payment's state by the same codes as ``/products``, ``/reservations`` and
``/payments``, so each map is written once here, keyed by the status values the contexts store.

GET /products, /reservations, /payments and /myPages page with a 0-based ``?page=`` and a
``?size=`` and answer ``{"_embedded": {name: [...]}, "_links": {...}, "page": {...}}``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from market.api import validated

# --- the reference's status codes ---------------------------------------------------------------------
# The reference names states by short codes, the same code meaning different things per resource.

PRODUCT_CODES = {"available": "01", "pending": "02", "sold_out": "soldOut"}
# The reference had no "completed" (paid) reservation; we show it as 03. Declined and expired
# reservations ended unpaid like a cancelled one, so the reference's clients see them as cancelled (02).
RESERVATION_CODES = {"reserved": "01", "cancelled": "02", "completed": "03", "expired": "02", "declined": "02"}
# The reference had no "voided" payment; we show it as 03.
PAYMENT_CODES = {"unpaid": "01", "paid": "02", "voided": "03"}


# The schema shows these codes as plain strings (their values are listed in help_text): the same
# short codes ("01", "02") mean different things per resource, which enum components cannot name.
@extend_schema_field(OpenApiTypes.STR)
class StatusCodeInput(serializers.ChoiceField):
    """A reference status code accepted on input."""


@extend_schema_field(OpenApiTypes.STR)
class StatusCodeField(serializers.Field):
    """A status shown as the reference's code: ``StatusCodeField(PRODUCT_CODES, source="status")``."""

    def __init__(self, codes: Mapping[str, str], **kwargs: Any) -> None:
        self.codes = codes
        super().__init__(**kwargs)

    def to_representation(self, value: str) -> str:
        return self.codes[value]


# --- Spring Data REST's paged collections -------------------------------------------------------------


def hal_collection(name: str, items: Iterable[dict[str, Any]], self_href: str) -> dict[str, Any]:
    """``{"_embedded": {name: [...]}, "_links": {"self": {"href": ...}}}`` as Spring Data REST did."""
    return {"_embedded": {name: list(items)}, "_links": {"self": {"href": self_href}}}


class HalPageInput(serializers.Serializer):
    page = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, default=0)
    size = serializers.IntegerField(min_value=1, max_value=100, required=False, default=20)


HAL_PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="0-based page number (Spring Data REST)."),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, 1 to 100 (default 20)."),
]


def hal_page(request: Request, name: str, queryset: QuerySet, output: type[serializers.Serializer]) -> dict:
    """One page of ``queryset`` in Spring Data REST's shape: _embedded, _links and page."""
    paging = validated(HalPageInput, request.query_params)
    number, size = paging["page"], paging["size"]
    total = queryset.count()
    items = output(queryset[number * size : (number + 1) * size], many=True).data
    body = hal_collection(name, items, request.build_absolute_uri())
    info = hal_page_info(number=number, size=size, total=total)
    total_pages = info["totalPages"]
    base = request.build_absolute_uri(request.path)
    if number + 1 < total_pages:
        body["_links"]["next"] = {"href": f"{base}?page={number + 1}&size={size}"}
    if number > 0:
        body["_links"]["prev"] = {"href": f"{base}?page={min(number - 1, max(total_pages - 1, 0))}&size={size}"}
    body["page"] = info
    return body


def hal_page_info(*, number: int, size: int, total: int) -> dict[str, int]:
    """Spring Data REST's ``page`` block."""
    return {"size": size, "totalElements": total, "totalPages": (total + size - 1) // size, "number": number}


def hal_collection_schema(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """The schema of ``hal_page(request, name, ...)``'s body, as components ``Hal<Name>Collection``."""
    return inline_serializer(
        f"Hal{name.capitalize()}Collection",
        {
            "_embedded": inline_serializer(f"Hal{name.capitalize()}Embedded", {name: item(many=True)}),
            "_links": serializers.DictField(),
            "page": serializers.DictField(),
        },
    )
