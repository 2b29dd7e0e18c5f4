"""Queries of the product context."""

from __future__ import annotations

from django.db.models import QuerySet

from market.errors import NotFound
from product.models import Product


def product_list() -> QuerySet[Product]:
    return Product.objects.select_related("seller").order_by("-id")


MAX_ID = 2**63 - 1


def as_id(value: object) -> int | None:
    """An id from the outside world, or None when it cannot name a row (so lookups answer 404,
    never a 500 on "abc" or a number beyond the column's range)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def product_get(*, product_id: int) -> Product:
    product_id = as_id(product_id)
    product = Product.objects.select_related("seller").filter(pk=product_id).first() if product_id is not None else None
    if product is None:
        raise NotFound("No such product.", code="product_not_found")
    return product


def product_list_for_seller(*, seller) -> QuerySet[Product]:
    return product_list().filter(seller=seller)
