"""Contract of /api/products/: shapes, filters, pagination, ordering, and every error."""

from __future__ import annotations

import pytest

from product.models import Product
from tests.support.market import assert_error

pytestmark = pytest.mark.django_db

PRODUCT_FIELDS = {
    "id",
    "name",
    "description",
    "price",
    "status",
    "seller_id",
    "seller",
    "editable",
    "created_at",
    "updated_at",
    # links: itself, and its reservations (for its seller only, else null)
    "url",
    "reservations",
}


def test_anyone_browses_products_newest_first(anon, seller, make_product):
    make_product(seller, name="Noodle", price=3000)
    make_product(seller, name="Desk", price=50000)

    response = anon.get("/api/products/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [p["name"] for p in body["results"]] == ["Desk", "Noodle"]
    item = body["results"][0]
    assert set(item) == PRODUCT_FIELDS
    assert item["price"] == 50000 and isinstance(item["price"], int)
    assert item["status"] == "available"
    assert item["seller_id"] == seller.pk and item["seller"] == "seller"
    assert item["editable"] is True


def test_create_product_makes_the_caller_its_seller(client_for, buyer):
    response = client_for(buyer).post(
        "/api/products/", {"name": "Lamp", "price": 0, "description": "old"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["seller_id"] == buyer.pk and body["price"] == 0 and body["status"] == "available"
    product = Product.objects.get(pk=body["id"])
    assert product.seller == buyer and product.name == "Lamp" and product.description == "old"


def test_create_accepts_form_data_too(client_for, seller):
    response = client_for(seller).post("/api/products/", {"name": "Lamp", "price": "1200"})
    assert response.status_code == 201
    assert response.json()["price"] == 1200


def test_detail(anon, seller, make_product):
    product = make_product(seller, name="Desk", price=50000, description="oak")
    response = anon.get(f"/api/products/{product.pk}/")
    assert response.status_code == 200
    assert response.json()["description"] == "oak"
    assert response.json()["id"] == product.pk


def test_filters_status_seller_price_range_and_search(anon, seller, buyer, make_product, reserve):
    desk = make_product(seller, name="Oak desk", price=50000)
    make_product(seller, name="Noodle", price=3000)
    lamp = make_product(buyer, name="Desk lamp", price=12000)
    reserve(buyer, desk)

    def names(query: str) -> list[str]:
        response = anon.get(f"/api/products/?{query}")
        assert response.status_code == 200, response.content
        return sorted(p["name"] for p in response.json()["results"])

    assert names("status=pending") == ["Oak desk"]
    assert names("status=available") == ["Desk lamp", "Noodle"]
    assert names(f"seller_id={lamp.seller_id}") == ["Desk lamp"]
    assert names("min_price=10000") == ["Desk lamp", "Oak desk"]
    assert names("max_price=12000") == ["Desk lamp", "Noodle"]
    assert names("min_price=5000&max_price=20000") == ["Desk lamp"]
    assert names("search=desk") == ["Desk lamp", "Oak desk"]
    assert names("search=desk&status=available") == ["Desk lamp"]


def test_ordering_and_pagination(anon, seller, make_product):
    for i, price in enumerate([300, 100, 200]):
        make_product(seller, name=f"item{i}", price=price)

    by_price = anon.get("/api/products/?ordering=price").json()["results"]
    assert [p["price"] for p in by_price] == [100, 200, 300]
    by_price_desc = anon.get("/api/products/?ordering=-price").json()["results"]
    assert [p["price"] for p in by_price_desc] == [300, 200, 100]
    by_name = anon.get("/api/products/?ordering=name").json()["results"]
    assert [p["name"] for p in by_name] == ["item0", "item1", "item2"]

    page = anon.get("/api/products/?page_size=2&ordering=price").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    second = anon.get("/api/products/?page_size=2&ordering=price&page=2").json()
    assert [p["price"] for p in second["results"]] == [300]


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "min_price=abc", "max_price=-1", "seller_id=x", "min_price=99999999999999999999999"],
)
def test_bad_filters_are_400(anon, query):
    assert_error(anon.get(f"/api/products/?{query}"), 400)


def test_beyond_the_last_page_is_404_json(anon, seller, make_product):
    make_product(seller)
    assert_error(anon.get("/api/products/?page=5"), 404)


def test_unknown_ordering_field_is_ignored(anon, seller, make_product):
    make_product(seller)
    assert anon.get("/api/products/?ordering=password").status_code == 200


# --- updates and deletes --------------------------------------------------------------------------


def test_seller_edits_an_available_product(client_for, seller, make_product):
    product = make_product(seller, name="Desk", price=50000)

    patched = client_for(seller).patch(f"/api/products/{product.pk}/", {"price": 45000}, format="json")
    assert patched.status_code == 200
    assert patched.json()["price"] == 45000 and patched.json()["name"] == "Desk"

    put = client_for(seller).put(
        f"/api/products/{product.pk}/", {"name": "Oak desk", "price": 40000, "description": "new"}, format="json"
    )
    assert put.status_code == 200
    product.refresh_from_db()
    assert (product.name, product.price, product.description) == ("Oak desk", 40000, "new")


def test_put_needs_every_field(client_for, seller, make_product):
    product = make_product(seller)
    body = assert_error(client_for(seller).put(f"/api/products/{product.pk}/", {"price": 1}, format="json"), 400)
    assert "name" in body["details"]


def test_seller_deletes_an_available_product(client_for, seller, make_product):
    product = make_product(seller)
    assert client_for(seller).delete(f"/api/products/{product.pk}/").status_code == 204
    assert not Product.objects.filter(pk=product.pk).exists()
    assert_error(client_for(seller).get(f"/api/products/{product.pk}/"), 404, "product_not_found")


def test_a_held_product_cannot_be_edited_or_deleted(client_for, market, seller):
    url = f"/api/products/{market.held.pk}/"
    assert_error(client_for(seller).patch(url, {"price": 1}, format="json"), 409, "product_not_editable")
    assert_error(client_for(seller).delete(url), 409, "product_not_editable")
    market.held.refresh_from_db()
    assert market.held.price == 50000


def test_another_user_cannot_edit_or_delete(client_for, market, other_buyer):
    url = f"/api/products/{market.available.pk}/"
    assert_error(client_for(other_buyer).patch(url, {"price": 1}, format="json"), 403, "not_seller")
    assert_error(client_for(other_buyer).delete(url), 403, "not_seller")


# --- errors: unknown ids, wrong types, missing fields, out of range, malformed input -------------------


@pytest.mark.parametrize("path", ["/api/products/999999/", "/api/products/99999999999999999999999999/"])
@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_unknown_product_is_404(client_for, seller, path, method):
    payload = {"name": "x", "price": 1}
    response = getattr(client_for(seller), method)(path, payload, format="json")
    assert_error(response, 404, "product_not_found")


def test_non_numeric_id_is_404_json(anon):
    assert_error(anon.get("/api/products/abc/"), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"price": 100}, "name"),
        ({"name": "Desk"}, "price"),
        ({"name": "", "price": 100}, "name"),
        ({"name": "   ", "price": 100}, "name"),
        ({"name": "x" * 101, "price": 100}, "name"),
        ({"name": ["Desk"], "price": 100}, "name"),
        ({"name": {"a": 1}, "price": 100}, "name"),
        ({"name": "Desk", "price": -1}, "price"),
        ({"name": "Desk", "price": 1_000_000_001}, "price"),
        ({"name": "Desk", "price": 10**40}, "price"),
        ({"name": "Desk", "price": "abc"}, "price"),
        ({"name": "Desk", "price": 12.5}, "price"),
        ({"name": "Desk", "price": True}, "price"),
        ({"name": "Desk", "price": None}, "price"),
        ({"name": "Desk", "price": [1]}, "price"),
        ({"name": "Desk", "price": 1, "description": 7 * ["x"]}, "description"),
    ],
)
def test_invalid_product_input_is_400_with_field_details(client_for, seller, payload, field):
    body = assert_error(client_for(seller).post("/api/products/", payload, format="json"), 400, "invalid")
    assert field in body["details"]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "payload", [{"price": -5}, {"price": "x"}, {"name": ""}, {"name": None}, {"description": ["x"]}]
)
def test_invalid_update_is_400(client_for, seller, make_product, payload):
    product = make_product(seller, price=10)
    assert_error(client_for(seller).patch(f"/api/products/{product.pk}/", payload, format="json"), 400, "invalid")
    product.refresh_from_db()
    assert product.price == 10


@pytest.mark.parametrize(
    "raw", [b'{"name": "Desk", "price": ', b"not json", b'{"name": "Desk", "price": NaN}', b"\xff\xfe"]
)
def test_malformed_json_is_400(client_for, seller, raw):
    response = client_for(seller).generic("POST", "/api/products/", raw, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize("body", [b"[1, 2]", b'"Desk"', b"null", b"42"])
def test_json_that_is_not_an_object_is_400(client_for, seller, body):
    response = client_for(seller).generic("POST", "/api/products/", body, content_type="application/json")
    assert_error(response, 400)


def test_unsupported_content_type_is_415(client_for, seller):
    response = client_for(seller).generic("POST", "/api/products/", b"name=Desk", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_unsupported_method_is_405(client_for, seller):
    assert_error(client_for(seller).delete("/api/products/"), 405, "method_not_allowed")


def test_anonymous_write_is_401_with_a_challenge(anon, seller, make_product):
    response = anon.post("/api/products/", {"name": "Desk", "price": 1}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"]
