"""Contract of /api/payments/: list (as buyer or seller), detail, pay, and every error."""

from __future__ import annotations

import pytest

from market import bus
from payment.models import Payment
from product.models import Product
from reservation.models import Reservation
from tests.support.market import assert_error

pytestmark = pytest.mark.django_db

PAYMENT_FIELDS = {
    "id",
    "reservation_id",
    "product_id",
    "buyer_id",
    "seller_id",
    "amount",
    "status",
    "created_at",
    "updated_at",
    "paid_at",
    # links: itself, what it relates to, and the pay action (null unless the reader may pay)
    "url",
    "reservation",
    "product",
    "mypage",
    "pay",
}


def test_buyer_and_seller_see_the_payment(client_for, market, buyer, seller, other_buyer):
    for user in (buyer, seller):
        body = client_for(user).get("/api/payments/").json()
        assert [p["id"] for p in body["results"]] == [market.payment.pk]
        item = body["results"][0]
        assert set(item) == PAYMENT_FIELDS
        assert item["amount"] == 50000 and item["status"] == "unpaid" and item["paid_at"] is None
        assert item["reservation_id"] == market.reservation.pk and item["product_id"] == market.held.pk
        assert item["buyer_id"] == buyer.pk and item["seller_id"] == seller.pk
    assert client_for(other_buyer).get("/api/payments/").json()["count"] == 0
    assert client_for(seller).get("/api/payments/?role=buyer").json()["count"] == 0
    assert client_for(seller).get("/api/payments/?role=seller").json()["count"] == 1
    assert client_for(buyer).get("/api/payments/?status=paid").json()["count"] == 0
    assert client_for(buyer).get("/api/payments/?status=unpaid").json()["count"] == 1


@pytest.mark.parametrize("query", ["role=x", "status=done", "page=0", "page=-1"])
def test_bad_list_parameters_are_4xx(client_for, buyer, query):
    response = client_for(buyer).get(f"/api/payments/?{query}")
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_detail(client_for, market, buyer):
    response = client_for(buyer).get(f"/api/payments/{market.payment.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == market.payment.pk


def test_pay_sells_the_product_and_completes_the_reservation(client_for, market, buyer, drain):
    response = client_for(buyer).post(f"/api/payments/{market.payment.pk}/pay/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "paid" and body["paid_at"]
    drain()
    market.held.refresh_from_db()
    market.reservation.refresh_from_db()
    assert market.held.status == Product.Status.SOLD_OUT
    assert market.reservation.status == Reservation.Status.COMPLETED


def test_pay_works_while_the_other_modules_are_paused(client_for, market, buyer, drain):
    paused = ["product.sell_on_payment", "reservation.complete_on_payment"]
    for subscriber in paused:
        bus.pause(subscriber)

    response = client_for(buyer).post(f"/api/payments/{market.payment.pk}/pay/")

    assert response.status_code == 200
    drain()
    market.held.refresh_from_db()
    assert market.held.status == Product.Status.PENDING  # not caught up yet
    for subscriber in paused:
        bus.resume(subscriber)
    drain()
    market.held.refresh_from_db()
    market.reservation.refresh_from_db()
    assert market.held.status == Product.Status.SOLD_OUT
    assert market.reservation.status == Reservation.Status.COMPLETED


def test_paying_twice_is_409(client_for, market, buyer):
    url = f"/api/payments/{market.payment.pk}/pay/"
    client_for(buyer).post(url)
    assert_error(client_for(buyer).post(url), 409, "already_paid")


def test_a_voided_payment_cannot_be_paid(client_for, market, buyer):
    client_for(buyer).post(f"/api/reservations/{market.reservation.pk}/cancel/")
    assert_error(client_for(buyer).post(f"/api/payments/{market.payment.pk}/pay/"), 409, "payment_voided")
    market.payment.refresh_from_db()
    assert market.payment.status == Payment.Status.VOIDED


def test_the_seller_may_not_pay(client_for, market, seller):
    assert_error(client_for(seller).post(f"/api/payments/{market.payment.pk}/pay/"), 403, "not_buyer")


@pytest.mark.parametrize("path", ["/api/payments/999999/", "/api/payments/99999999999999999999999/"])
def test_unknown_payment_is_404(client_for, buyer, path):
    assert_error(client_for(buyer).get(path), 404, "payment_not_found")
    assert_error(client_for(buyer).post(path + "pay/"), 404, "payment_not_found")


def test_get_on_pay_shows_the_payment_and_pays_nothing(client_for, market, buyer):
    # A link to the action opens a page (the browsable API offers the POST button there).
    response = client_for(buyer).get(f"/api/payments/{market.payment.pk}/pay/")
    assert response.status_code == 200
    assert response.json()["status"] == "unpaid"
    market.payment.refresh_from_db()
    assert market.payment.status == "unpaid"
