"""market.links: the links a route template fills in are the ones Django's reverse() builds."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from market.lean import RowListSerializer
from market.links import path_for
from product import selectors
from product.api import ProductOutput

ROUTES = [
    ("product-detail", "pk"),
    ("reservation-detail", "pk"),
    ("reservation-cancel", "pk"),
    ("reservation-payment", "pk"),
    ("payment-detail", "pk"),
    ("payment-pay", "pk"),
    ("mypage-detail", "reservation_id"),
    ("notification-detail", "pk"),
    ("notification-read", "pk"),
]


@pytest.mark.parametrize(("route", "argument"), ROUTES)
@pytest.mark.parametrize("value", [1, 42, 987654321000, 9_223_372_036_854_775_807])
def test_a_filled_template_is_what_reverse_builds(route, argument, value):
    assert path_for(route, {argument: value}) == reverse(route, kwargs={argument: value})


@pytest.mark.django_db
def test_the_catalogues_lean_rows_link_as_drf_does(seller, make_user):
    from product.services import product_register

    for i in range(3):
        product_register(seller=seller, name=f"item {i}", price=i)
    rows = list(selectors.product_list_rows())
    for user in (None, seller, make_user("someone")):
        django_request = APIRequestFactory().get("/api/products/")
        request = Request(django_request)
        if user is not None:
            request.user = user
        lean = ProductOutput(rows, many=True, context={"request": request}).data
        plain = [ProductOutput(row, context={"request": request}).data for row in rows]
        assert RowListSerializer.plan_for(ProductOutput) is not None
        assert lean == plain
        assert all(p["url"].startswith("http://testserver/api/products/") for p in lean)
        assert all((p["reservations"] is not None) == (user == seller) for p in lean)
