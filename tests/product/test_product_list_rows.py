"""GET /api/products/ reads plain rows (``selectors.product_list_rows``) from a queryset built once,
not Product instances, and names the time zone of its timestamps: both for speed only. The rows
must show each product exactly as the model does, the page's COUNT must stay on product_product,
the filters must select what they say, and their errors must read as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from product.models import Product
from tests.support.market import assert_error

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
        assert detail.pop("wish_count") == 0  # the detail alone counts wishes (찜)
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
        ("seller_id=0", {"seller_id": ["Ensure this value is greater than or equal to 1."]}),
        ("min_price=1000000001", {"min_price": ["Ensure this value is less than or equal to 1000000000."]}),
    ],
)
def test_filter_errors_read_as_before(anon, seller, make_product, query, details):
    make_product(seller, price=5)
    for _ in range(2):  # one request's data and errors never leak into the next
        assert assert_error(anon.get(f"/api/products/?{query}"), 400, "invalid")["details"] == details
        assert anon.get("/api/products/?status=available&min_price=5&max_price=5").json()["count"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["cheap", "mid", "dear", "held", "other"]),
        ("status=available&min_price=100&max_price=300", ["mid", "dear"]),
        ("max_price=500&seller_id={other}&status=available", ["other"]),
        ("max_price=5000&seller_id={seller}&status=pending", ["held"]),
        ("min_price=250", ["dear", "held", "other"]),
        ("seller=seller&status=available", ["cheap", "mid", "dear"]),
        ("seller=nobody", []),
        ("status=available&min_price=", ["cheap", "mid", "dear", "other"]),  # an empty filter filters nothing
    ],
)
def test_the_filters_select_what_they_say(anon, seller, make_user, make_product, query, expected):
    """Each filter and any combination of them narrow the same list (the plain django-filter
    FilterSet replaced market.lean's; these are the combinations its comparison covered)."""
    other = make_user("other")
    for name, price in [("cheap", 50), ("mid", 200), ("dear", 300)]:
        make_product(seller, name=name, price=price)
    held = make_product(seller, name="held", price=4000)
    Product.objects.filter(pk=held.pk).update(status=Product.Status.PENDING, held_by_reservation_id=held.pk)
    make_product(other, name="other", price=500)

    body = anon.get("/api/products/?" + query.format(seller=seller.pk, other=other.pk)).json()

    assert sorted(p["name"] for p in body["results"]) == sorted(expected)
    assert body["count"] == len(expected)
