"""Contract of /api/reservations/: reserve, list (as buyer or seller), detail, cancel, and every error."""

from __future__ import annotations

import pytest

from payment.models import Payment
from product.models import Product
from reservation.models import Reservation
from tests.support.market import assert_error

pytestmark = pytest.mark.django_db

RESERVATION_FIELDS = {
    "id",
    "product_id",
    "product_name",
    "price",
    "status",
    "buyer_id",
    "buyer",
    "seller_id",
    "hold_expires_at",
    "end_reason",
    "created_at",
    "updated_at",
    # links: itself, what it relates to, and the cancel action (null unless the reader may cancel)
    "url",
    "product",
    "payment",
    "mypage",
    "cancel",
}


def test_reserve_holds_the_product_and_requests_a_payment(client_for, buyer, seller, make_product, drain):
    product = make_product(seller, name="Desk", price=50000)

    response = client_for(buyer).post("/api/reservations/", {"product_id": product.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == RESERVATION_FIELDS
    assert body["status"] == "reserved" and body["product_id"] == product.pk
    assert body["product_name"] == "Desk" and body["price"] == 50000
    assert body["buyer_id"] == buyer.pk and body["buyer"] == "buyer" and body["seller_id"] == seller.pk
    product.refresh_from_db()
    assert product.status == Product.Status.PENDING
    drain()
    payment = Payment.objects.get(reservation_id=body["id"])
    assert (payment.status, payment.amount) == (Payment.Status.UNPAID, 50000)


def test_product_id_as_a_numeric_string_is_accepted(client_for, buyer, seller, make_product):
    product = make_product(seller)
    response = client_for(buyer).post("/api/reservations/", {"product_id": str(product.pk)}, format="json")
    assert response.status_code == 201


def test_a_held_product_cannot_be_reserved_again(client_for, market, other_buyer):
    response = client_for(other_buyer).post("/api/reservations/", {"product_id": market.held.pk}, format="json")
    assert_error(response, 409, "product_unavailable")
    assert Reservation.objects.filter(product_id=market.held.pk).count() == 1


def test_own_product_cannot_be_reserved(client_for, market, seller):
    response = client_for(seller).post("/api/reservations/", {"product_id": market.available.pk}, format="json")
    assert_error(response, 409, "own_product")
    market.available.refresh_from_db()
    assert market.available.status == Product.Status.AVAILABLE


def test_a_sold_product_cannot_be_reserved(client_for, market, buyer, other_buyer, drain):
    client_for(buyer).post(f"/api/payments/{market.payment.pk}/pay/")
    drain()
    response = client_for(other_buyer).post("/api/reservations/", {"product_id": market.held.pk}, format="json")
    assert_error(response, 409, "product_unavailable")


def test_unknown_product_is_404(client_for, buyer):
    response = client_for(buyer).post("/api/reservations/", {"product_id": 999999}, format="json")
    assert_error(response, 404, "product_not_found")
    assert not Reservation.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"product_id": "abc"},
        {"product_id": 0},
        {"product_id": -1},
        {"product_id": 1.5},
        {"product_id": None},
        {"product_id": 10**30},
        {"product_id": True},
        {"product_id": [1]},
        {"productId": 1},
    ],
)
def test_invalid_reservation_input_is_400(client_for, buyer, payload):
    body = assert_error(client_for(buyer).post("/api/reservations/", payload, format="json"), 400, "invalid")
    assert "product_id" in body["details"]


def test_malformed_json_and_content_type(client_for, buyer):
    client = client_for(buyer)
    assert_error(client.generic("POST", "/api/reservations/", b"{", content_type="application/json"), 400)
    assert_error(client.generic("POST", "/api/reservations/", b"x", content_type="application/xml"), 415)


# --- listing -------------------------------------------------------------------------------------------


def test_buyer_and_seller_see_their_reservations(client_for, market, buyer, seller, other_buyer):
    mine = client_for(buyer).get("/api/reservations/").json()
    assert [r["id"] for r in mine["results"]] == [market.reservation.pk]
    assert set(mine["results"][0]) == RESERVATION_FIELDS

    sold = client_for(seller).get("/api/reservations/").json()
    assert [r["id"] for r in sold["results"]] == [market.reservation.pk]
    assert client_for(seller).get("/api/reservations/?role=buyer").json()["count"] == 0
    assert client_for(seller).get("/api/reservations/?role=seller").json()["count"] == 1
    assert client_for(buyer).get("/api/reservations/?role=seller").json()["count"] == 0

    assert client_for(other_buyer).get("/api/reservations/").json()["count"] == 0


def test_status_filter(client_for, market, buyer, make_product, seller, reserve):
    second, _ = reserve(buyer, market.available)
    client_for(buyer).post(f"/api/reservations/{second.pk}/cancel/")

    def ids(query: str) -> list[int]:
        return [r["id"] for r in client_for(buyer).get(f"/api/reservations/?{query}").json()["results"]]

    assert ids("status=reserved") == [market.reservation.pk]
    assert ids("status=cancelled") == [second.pk]
    assert ids("") == [second.pk, market.reservation.pk]


@pytest.mark.parametrize("query", ["role=admin", "status=paid", "status=RESERVED", "page=abc", "page=0", "page=99"])
def test_bad_list_parameters_are_4xx(client_for, buyer, query):
    response = client_for(buyer).get(f"/api/reservations/?{query}")
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_detail(client_for, market, buyer, seller):
    for user in (buyer, seller):
        response = client_for(user).get(f"/api/reservations/{market.reservation.pk}/")
        assert response.status_code == 200
        assert response.json()["id"] == market.reservation.pk


@pytest.mark.parametrize("path", ["/api/reservations/999999/", "/api/reservations/99999999999999999999999/"])
def test_unknown_reservation_is_404(client_for, buyer, path):
    assert_error(client_for(buyer).get(path), 404, "reservation_not_found")
    assert_error(client_for(buyer).post(path + "cancel/"), 404, "reservation_not_found")


# --- cancelling ----------------------------------------------------------------------------------------


def test_cancel_frees_the_product_and_voids_the_payment(client_for, market, buyer):
    response = client_for(buyer).post(f"/api/reservations/{market.reservation.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    market.held.refresh_from_db()
    market.payment.refresh_from_db()
    assert market.held.status == Product.Status.AVAILABLE
    assert market.payment.status == Payment.Status.VOIDED


def test_cancel_twice_is_409(client_for, market, buyer):
    url = f"/api/reservations/{market.reservation.pk}/cancel/"
    client_for(buyer).post(url)
    assert_error(client_for(buyer).post(url), 409, "already_cancelled")


def test_a_paid_reservation_cannot_be_cancelled(client_for, market, buyer, drain):
    client_for(buyer).post(f"/api/payments/{market.payment.pk}/pay/")
    drain()
    response = client_for(buyer).post(f"/api/reservations/{market.reservation.pk}/cancel/")
    assert_error(response, 409, "already_paid")
    market.held.refresh_from_db()
    assert market.held.status == Product.Status.SOLD_OUT


def test_the_seller_may_not_cancel_the_buyers_reservation(client_for, market, seller):
    assert_error(client_for(seller).post(f"/api/reservations/{market.reservation.pk}/cancel/"), 403, "not_buyer")


def test_cancel_ignores_a_body(client_for, market, buyer):
    response = client_for(buyer).post(
        f"/api/reservations/{market.reservation.pk}/cancel/", {"product_id": market.available.pk}, format="json"
    )
    assert response.status_code == 200
    market.available.refresh_from_db()
    assert market.available.status == Product.Status.AVAILABLE
