"""The catalogue's total (``count`` of GET /api/products/): a busy catalogue does not count again for
every reader, since a whole anonymous response is reused for ``CATALOGUE_CACHE_SECONDS``
(``market.response_cache``; it replaced the cached COUNT of ``market.api.CachedCountPaginator``).
A product's change shows at once, rows and total; the total never contradicts the page, and only
the catalogue does this (tests/api/test_catalogue_cache.py tests the cache itself)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db

PAGE = "/api/products/?page_size=2&ordering=price"


@pytest.fixture
def three(seller, make_product):
    return [make_product(seller, name=f"item{i}", price=100 * (i + 1)) for i in range(3)]


def test_a_full_page_counts_once_then_reuses_the_total(anon, three, django_assert_num_queries):
    with django_assert_num_queries(2):  # the page, then its COUNT
        assert anon.get(PAGE).json()["count"] == 3
    with django_assert_num_queries(0):  # the whole response from the cache
        body = anon.get(PAGE).json()
    assert body["count"] == 3 and body["next"]


def test_the_rows_and_the_total_are_fresh_after_a_change(anon, seller, three, make_product):
    assert anon.get(PAGE).json()["count"] == 3
    make_product(seller, name="cheapest", price=1)  # ProductRegistered: the cached copies are stale

    body = anon.get(PAGE).json()

    assert [p["name"] for p in body["results"]] == ["cheapest", "item0"]
    assert body["count"] == 4
    cache.clear()  # as when CATALOGUE_CACHE_SECONDS are over
    assert anon.get(PAGE).json()["count"] == 4


def test_the_total_never_contradicts_the_page(anon, seller, three, make_product):
    assert anon.get(PAGE).json()["count"] == 3
    make_product(seller, name="item3", price=400)
    make_product(seller, name="item4", price=500)

    second = anon.get(PAGE + "&page=2").json()

    assert [p["name"] for p in second["results"]] == ["item2", "item3"]
    assert second["count"] >= 4  # what this page shows


def test_other_filters_count_for_themselves(anon, three):
    assert anon.get(PAGE).json()["count"] == 3
    assert anon.get(PAGE + "&min_price=150").json()["count"] == 2
    assert anon.get(PAGE + "&max_price=200").json()["count"] == 2
    assert anon.get(PAGE + "&min_price=150&max_price=250").json()["count"] == 1


def test_a_partial_page_counts_exactly_without_the_cache(anon, seller, three, make_product):
    assert anon.get(PAGE).json()["count"] == 3
    make_product(seller, name="item3", price=400)
    make_product(seller, name="item4", price=500)
    # Page 3 holds one row: it is the last, so the total is known without counting or the cache.
    assert anon.get(PAGE + "&page=3").json()["count"] == 5


def test_zero_seconds_counts_every_time(anon, seller, three, make_product, settings, django_assert_num_queries):
    settings.CATALOGUE_CACHE_SECONDS = 0
    assert anon.get(PAGE).json()["count"] == 3
    make_product(seller, name="item3", price=400)
    with django_assert_num_queries(2):
        assert anon.get(PAGE).json()["count"] == 4


def test_a_cache_that_is_down_means_counting(anon, three, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)  # as django-redis with IGNORE_EXCEPTIONS
    monkeypatch.setattr(cache, "set", lambda *args, **kwargs: None)
    for _ in range(2):
        with django_assert_num_queries(2):
            assert anon.get(PAGE).json()["count"] == 3


def test_personal_lists_always_count(client_for, market, reserve, buyer, seller, make_product):
    """Only the public catalogue is cached: a buyer's own list is exact at once."""
    url, mine = "/api/reservations/?page_size=1", client_for(buyer)
    assert mine.get(url).json()["count"] == 1
    reserve(buyer, make_product(seller, name="Lamp", price=700))
    assert mine.get(url).json()["count"] == 2
