"""Queries of the product context."""

from __future__ import annotations

from django.db.models import QuerySet

from market.db import parse_id
from market.errors import NotFound
from product.models import Product


def product_list() -> QuerySet[Product]:
    return Product.objects.select_related("seller").order_by("-id")


def product_get(*, product_id: int) -> Product:
    product_id = parse_id(product_id)
    product = Product.objects.select_related("seller").filter(pk=product_id).first() if product_id is not None else None
    if product is None:
        raise NotFound("No such product.", code="product_not_found")
    return product


def product_list_for_seller(*, seller) -> QuerySet[Product]:
    return product_list().filter(seller=seller)
