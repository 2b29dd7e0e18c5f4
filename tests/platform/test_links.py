"""market.links: the links a route template fills in are the ones Django's reverse() builds."""

from __future__ import annotations

import pytest
from django.urls import reverse

from market.links import path_for

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
def test_the_catalogues_rows_link_to_each_product_and_its_reservations_for_the_seller(
    seller, make_user, client_for, anon
):
    from product.services import product_register

    products = [product_register(seller=seller, name=f"item {i}", price=i) for i in range(3)]
    for client, is_seller in [(anon, False), (client_for(seller), True), (client_for(make_user("someone")), False)]:
        rows = client.get("/api/products/").json()["results"]
        assert [p["url"] for p in rows] == [
            f"http://testserver/api/products/{product.pk}/" for product in reversed(products)
        ]
        assert all((p["reservations"] is not None) == is_seller for p in rows)
        if is_seller:
            assert rows[0]["reservations"] == f"http://testserver/api/reservations/?product={products[-1].pk}"
