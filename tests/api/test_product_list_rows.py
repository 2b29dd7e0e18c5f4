"""GET /api/products/ reads plain rows (``selectors.product_list_rows``) from a queryset built once,
not Product instances, builds its filter form once and names the time zone of its timestamps: all
for speed only. The rows must show each product exactly as the model does, the page's COUNT must
stay on product_product, and errors must read as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from product.models import Product
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_a_listed_product_reads_exactly_as_its_detail_in_every_state(anon, seller, make_product):
    products = {status: make_product(seller, name=status, price=100) for status in Product.Status.values}
    for status, product in products.items():
        held_by = None if status == Product.Status.AVAILABLE else product.pk
        Product.objects.filter(pk=product.pk).update(status=status, held_by_reservation_id=held_by)

    listed = anon.get("/api/products/").json()["results"]

    assert len(listed) == len(products)
    for item in listed:
        product = Product.objects.select_related("seller").get(pk=item["id"])
        detail = anon.get(f"/api/products/{product.pk}/").json()
        assert list(item.items()) == list(detail.items())  # same fields, same order, same values
        assert item["editable"] is product.can_edit()  # can_edit_condition() agrees with can_edit()
        # ProductOutput names settings.TIME_ZONE; DRF's default (the active zone) says the same.
        assert item["created_at"] == serializers.DateTimeField().to_representation(product.created_at)


def test_the_page_total_is_counted_on_products_alone(anon, seller, make_product):
    for i in range(3):
        make_product(seller, name=f"p{i}", price=i)

    with CaptureQueriesContext(connection) as queries:
        body = anon.get("/api/products/?page_size=2").json()

    assert body["count"] == 3 and [p["seller"] for p in body["results"]] == ["seller", "seller"]
    assert len(queries) == 2
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "auth_user" not in count and "JOIN" not in count.upper()


def test_the_list_built_once_still_reads_afresh_each_time(anon, seller, make_product):
    assert anon.get("/api/products/").json()["count"] == 0
    make_product(seller, name="Lamp")

    assert [p["name"] for p in anon.get("/api/products/").json()["results"]] == ["Lamp"]


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ("status=bogus", {"status": ["Select a valid choice. bogus is not one of the available choices."]}),
        ("min_price=abc", {"min_price": ["Enter a number."]}),
        ("max_price=-1", {"max_price": ["Ensure this value is greater than or equal to 0."]}),
        ("seller=0", {"seller": ["Ensure this value is greater than or equal to 1."]}),
        ("min_price=1000000001", {"min_price": ["Ensure this value is less than or equal to 1000000000."]}),
    ],
)
def test_filter_errors_read_as_before(anon, seller, make_product, query, details):
    make_product(seller, price=5)
    for _ in range(2):  # the form class is shared between requests, its data and errors are not
        assert assert_error(anon.get(f"/api/products/?{query}"), 400, "invalid")["details"] == details
        assert anon.get("/api/products/?status=available&min_price=5&max_price=5").json()["count"] == 1
