"""Whole anonymous responses of the catalogue are cached for ``CATALOGUE_CACHE_SECONDS``
(``market.response_cache``): keyed by the normalised query, the language and the media type; never
for a signed-in reader, an error or the browsable API; cleared by every product event; harmless
when the cache is down. And the catalogue's cursor pages (``GET /api/products/scroll/``)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from market import metrics, response_cache
from product.models import Product

pytestmark = pytest.mark.django_db

LIST = "/api/products/"


@pytest.fixture
def listed(seller, make_product):
    return [make_product(seller, name=f"item{i}", price=100 * (i + 1)) for i in range(3)]


def test_a_second_identical_anonymous_request_makes_no_query(anon, listed, django_assert_num_queries):
    first = anon.get(LIST + "?ordering=price")
    with django_assert_num_queries(0):
        second = anon.get(LIST + "?ordering=price")
    assert second.status_code == 200
    assert second.json() == first.json()
    assert [p["name"] for p in second.json()["results"]] == ["item0", "item1", "item2"]
    assert second["Content-Type"] == first["Content-Type"]


def test_order_defaults_and_junk_do_not_fragment_the_cache(anon, listed, django_assert_num_queries):
    first = anon.get(LIST + "?min_price=150&ordering=price&page_size=1").json()
    for same in [
        "?ordering=price&page_size=1&min_price=150",  # another order
        "?page=1&ordering=price&min_price=150&page_size=1",  # the default page
        "?ordering=price&status=&search=&min_price=150&page_size=1",  # empty filters
        "?utm_source=mail&ordering=price&min_price=150&page_size=1&token=secret",  # parameters nobody reads
        "?min_price=1&min_price=150&ordering=price&page_size=1",  # a repeated parameter: its last value counts
    ]:
        with django_assert_num_queries(0):
            assert anon.get(LIST + same).json() == first, same


def test_links_carry_the_canonical_query_cached_or_not(anon, listed, settings):
    """A copy shared by several readers never repeats one reader's extra parameters, and an
    uncached response links exactly as a cached one does."""
    junk = LIST + "?token=secret&page=2&min_price=100&page_size=1&status=&ordering=price"
    cached = anon.get(junk).json()
    settings.CATALOGUE_CACHE_SECONDS = 0
    fresh = anon.get(junk).json()

    assert fresh == cached
    assert cached["next"] == "http://testserver/api/products/?min_price=100&ordering=price&page=3&page_size=1"
    assert cached["previous"] == "http://testserver/api/products/?min_price=100&ordering=price&page_size=1"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"path": LIST + "?min_price=150"}, {"path": LIST + "?min_price=250"}),
        ({"path": LIST + "?search=item1"}, {"path": LIST + "?search=item2"}),
        ({"path": LIST + "?ordering=price"}, {"path": LIST + "?ordering=-price"}),
        ({"path": LIST + "?page_size=1"}, {"path": LIST + "?page_size=1&page=2"}),
        ({"path": LIST, "HTTP_ACCEPT_LANGUAGE": "ko"}, {"path": LIST, "HTTP_ACCEPT_LANGUAGE": "en"}),
        (
            {"path": LIST, "HTTP_ACCEPT": "application/json"},
            {"path": LIST, "HTTP_ACCEPT": "application/json; indent=4"},
        ),
        ({"path": LIST}, {"path": LIST, "HTTP_HOST": "localhost"}),
    ],
)
def test_different_filters_languages_and_media_types_do_not_share(anon, listed, first, second):
    def queries_for(request):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = anon.get(**request)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    assert queries_for(first)[0] > 0
    count, response = queries_for(second)
    assert count > 0  # its own copy
    assert queries_for(second)[0] == 0  # which is then reused
    if "indent" in second.get("HTTP_ACCEPT", ""):
        assert b'\n    "count"' in response.content


def test_the_browsable_api_is_never_cached(anon, listed, django_assert_max_num_queries):
    for _ in range(2):
        response = anon.get(LIST, HTTP_ACCEPT="text/html")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    anon.get(LIST)
    with django_assert_max_num_queries(0):
        assert anon.get(LIST).status_code == 200  # JSON is, independently


def test_signed_in_readers_are_never_served_or_stored(anon, client_for, seller, listed, django_assert_num_queries):
    mine = client_for(seller)
    anonymous = anon.get(LIST).json()  # an anonymous copy exists now
    assert all(p["reservations"] is None for p in anonymous["results"])

    for _ in range(2):
        body = mine.get(LIST).json()  # never the anonymous copy, never cached
        assert all(p["reservations"] is not None for p in body["results"])

    cache.clear()
    mine.get(LIST)  # a signed-in response leaves nothing for the anonymous
    body = anon.get(LIST).json()
    assert all(p["reservations"] is None for p in body["results"])


def test_a_signed_in_reader_queries_every_time(client_for, buyer, listed, django_assert_num_queries):
    mine = client_for(buyer)
    mine.get(LIST)
    with django_assert_num_queries(1):  # force-authenticated: the page only
        mine.get(LIST)


def test_responses_vary_on_what_the_key_holds(anon, client_for, buyer, listed):
    for response in [anon.get(LIST), anon.get(LIST), client_for(buyer).get(LIST)]:  # miss, hit, signed in
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"accept", "accept-language", "authorization", "cookie"} <= vary


def test_zero_seconds_turns_it_off(anon, listed, settings, django_assert_num_queries):
    settings.CATALOGUE_CACHE_SECONDS = 0
    anon.get(LIST)
    with django_assert_num_queries(1):
        anon.get(LIST)


def test_errors_are_never_cached(anon, listed, django_assert_num_queries):
    for _ in range(2):
        with django_assert_num_queries(1):  # an empty page beyond the last: read, never kept
            assert anon.get(LIST + "?page=9").status_code == 404
    for _ in range(2):
        assert anon.get(LIST + "?min_price=abc").status_code == 400


@pytest.mark.parametrize("failure", ["returns nothing", "raises"])
def test_a_cache_that_is_down_still_answers(anon, listed, monkeypatch, failure, django_assert_num_queries):
    def broken(*args, **kwargs):
        if failure == "raises":
            raise ConnectionError("cache down")

    for name in ("get", "set", "incr"):
        monkeypatch.setattr(cache, name, broken)
    for _ in range(2):
        with django_assert_num_queries(1):
            body = anon.get(LIST).json()
        assert [p["name"] for p in body["results"]] == ["item2", "item1", "item0"]


def test_a_reserved_product_disappears_at_once(anon, buyer, listed, reserve):
    available = LIST + "?status=available"
    assert len(anon.get(available).json()["results"]) == 3

    reserve(buyer, listed[0])  # ProductReserved clears the catalogue's copies

    body = anon.get(available).json()
    assert [p["name"] for p in body["results"]] == ["item2", "item1"]
    assert anon.get(f"{LIST}?status=pending").json()["results"][0]["status"] == "pending"


def test_without_invalidation_a_copy_lives_no_longer_than_its_seconds(
    anon, buyer, listed, reserve, monkeypatch, settings
):
    """A copy the invalidation cannot reach (another process's memory) lags by the lifetime at most."""
    settings.CATALOGUE_CACHE_SECONDS = 0.5
    monkeypatch.setattr(response_cache, "invalidate", lambda namespace: None)
    available = LIST + "?status=available"
    assert len(anon.get(available).json()["results"]) == 3
    reserve(buyer, listed[0])
    assert len(anon.get(available).json()["results"]) == 3  # stale, within the lifetime

    time.sleep(0.6)

    assert len(anon.get(available).json()["results"]) == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda product, seller: __import__("product.services").services.product_update(
            product_id=product.pk, actor=seller, name="renamed", description=None, price=None
        ),
        lambda product, seller: __import__("product.services").services.product_withdraw(
            product_id=product.pk, actor=seller
        ),
    ],
    ids=["updated", "withdrawn"],
)
def test_every_product_change_clears_the_copies(anon, seller, listed, change):
    before = anon.get(LIST).json()
    change(listed[0], seller)
    after = anon.get(LIST).json()
    assert after != before
    assert "item0" not in [p["name"] for p in after["results"]]


def test_cached_answers_are_still_counted_by_the_metrics(anon, listed):
    labels = {"method": "GET", "route": "api/products/", "status": "200"}

    def answered():
        return metrics.registry.get_sample_value("market_http_requests_total", labels) or 0

    before = answered()
    anon.get(LIST)
    anon.get(LIST)  # from the cache
    assert answered() == before + 2


def test_hostile_input_is_refused_before_the_cache(anon, listed):
    assert anon.get(LIST + "?search=lamp").status_code == 200
    assert anon.get(LIST + "?search=lamp%00").status_code == 400  # the request guard, cached or not


# --- cursor pages: /api/products/scroll/ ------------------------------------------------------------


def _scroll(client, url):
    names, pages = [], 0
    while url:
        body = client.get(url).json()
        assert set(body) == {"next", "previous", "results"}  # no total, no page numbers
        names += [p["name"] for p in body["results"]]
        url, pages = body["next"], pages + 1
    return names, pages


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["item2", "item1", "item0"]),
        ("&ordering=price", ["item0", "item1", "item2"]),
        ("&ordering=-price&min_price=150", ["item2", "item1"]),
    ],
)
def test_scrolling_walks_the_catalogue_by_cursor(anon, listed, query, expected):
    names, pages = _scroll(anon, f"{LIST}scroll/?page_size=1{query}")
    assert names == expected
    assert pages == len(expected)


def test_products_listed_while_scrolling_neither_repeat_nor_vanish(anon, seller, listed, make_product):
    first = anon.get(LIST + "scroll/?page_size=2").json()
    make_product(seller, name="newest")  # above the reader's position

    rest, _ = _scroll(anon, first["next"])

    assert [p["name"] for p in first["results"]] + rest == ["item2", "item1", "item0"]


def test_ties_keep_their_place_across_cursor_pages(anon, seller, make_product):
    for i in range(5):
        make_product(seller, name=f"same{i}", price=100)
    names, _ = _scroll(anon, LIST + "scroll/?page_size=2&ordering=price")
    assert sorted(names) == [f"same{i}" for i in range(5)]


def test_scroll_pages_are_cached_like_the_catalogue(anon, listed, django_assert_num_queries):
    url = anon.get(LIST + "scroll/?page_size=1").json()["next"]
    anon.get(url)
    with django_assert_num_queries(0):
        anon.get(url + "&utm_source=x")
    assert "utm_source" not in anon.get(url + "&utm_source=x").json()["next"]


def test_a_bad_cursor_is_a_404(anon, listed):
    assert anon.get(LIST + "scroll/?cursor=nonsense").status_code == 404


def test_the_page_number_list_is_unchanged(anon, listed):
    body = anon.get(LIST + "?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert Product.objects.count() == 3


def test_the_schema_documents_both_ways_of_paging(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    pages, scroll = schema["paths"]["/api/products/"]["get"], schema["paths"]["/api/products/scroll/"]["get"]
    assert {"page", "page_size"} <= {p["name"] for p in pages["parameters"]}
    assert {"cursor", "page_size", "ordering", "status"} <= {p["name"] for p in scroll["parameters"]}
    components = schema["components"]["schemas"]
    assert set(components["PaginatedProductOutputList"]["properties"]) == {"count", "next", "previous", "results"}
    assert set(components["CursorPaginatedProductOutputList"]["properties"]) == {"next", "previous", "results"}
    assert "CATALOGUE_CACHE_SECONDS" in pages["description"]
