"""GET /api/products/ reads plain rows (``selectors.product_list_rows``), not Product instances, for
speed only: the rows must show each product exactly as the model does, and the page's COUNT must
stay on product_product."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from product.models import Product
from product.selectors import product_list_rows

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


def test_the_page_total_is_counted_on_products_alone(anon, seller, make_product):
    for i in range(3):
        make_product(seller, name=f"p{i}", price=i)

    with CaptureQueriesContext(connection) as queries:
        body = anon.get("/api/products/?page_size=2").json()

    assert body["count"] == 3 and [p["seller"] for p in body["results"]] == ["seller", "seller"]
    assert len(queries) == 2
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "auth_user" not in count and "JOIN" not in count.upper()


def test_the_rows_are_read_afresh_each_time(seller, make_product):
    first = product_list_rows()
    assert list(first) == []
    make_product(seller, name="Lamp")

    assert [row["name"] for row in product_list_rows()] == ["Lamp"]
    assert product_list_rows() is not product_list_rows()
