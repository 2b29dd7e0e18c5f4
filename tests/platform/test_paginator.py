"""The API's paginator: COUNT only when the page cannot tell (``market.api.CountWhenNeededPaginator``)."""

from __future__ import annotations

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from market.api import CountWhenNeededPaginator
from product.models import Product
from product.services import product_register

# --- the paginator: COUNT only when the page cannot tell --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("n", "per_page", "number", "counts"), [(0, 5, 1, 0), (3, 5, 1, 0), (7, 5, 2, 0), (5, 5, 1, 1)]
)
def test_the_paginator_counts_only_full_pages(seller, n, per_page, number, counts):
    for i in range(n):
        product_register(seller=seller, name=f"p{i}", price=i)
    paginator = CountWhenNeededPaginator(Product.objects.order_by("id"), per_page)
    with CaptureQueriesContext(connection) as ctx:
        page = paginator.page(number)
        total, has_next = paginator.count, page.has_next()
    assert total == n
    assert not has_next
    assert len(page.object_list) == min(per_page, n - (number - 1) * per_page)
    assert sum("COUNT(" in q["sql"].upper() for q in ctx.captured_queries) == counts
    assert len(ctx.captured_queries) == 1 + counts


@pytest.mark.django_db
def test_the_paginator_refuses_what_djangos_refuses(seller):
    for i in range(3):
        product_register(seller=seller, name=f"p{i}", price=i)
    paginator = CountWhenNeededPaginator(Product.objects.order_by("id"), 2)
    assert paginator.page(2).has_previous() and not paginator.page(2).has_next()
    beyond_any_offset = 2**63 // 2 + 1
    for bad, error in [
        ("x", PageNotAnInteger),
        (1.5, PageNotAnInteger),
        (0, EmptyPage),
        (3, EmptyPage),
        (beyond_any_offset, EmptyPage),
    ]:
        with pytest.raises(error):
            CountWhenNeededPaginator(Product.objects.order_by("id"), 2).page(bad)


@pytest.mark.django_db
def test_a_product_list_page_keeps_its_count_and_links(seller, anon):
    for i in range(25):
        product_register(seller=seller, name=f"p{i}", price=i)
    first = anon.get("/api/products/?page_size=20").json()
    last = anon.get("/api/products/?page_size=20&page=2").json()
    assert (first["count"], len(first["results"]), first["previous"]) == (25, 20, None)
    assert first["next"].endswith("page=2&page_size=20")
    assert (last["count"], len(last["results"]), last["next"]) == (25, 5, None)
    assert anon.get("/api/products/?page_size=20&page=3").status_code == 404
