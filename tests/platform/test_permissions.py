"""The permission matrix: anonymous, buyer, other buyer, seller, staff × every operation.

The market: the seller has an available product and a product held by the buyer's reservation,
whose payment is unpaid. Another user's reservation or payment answers 404 (ids don't leak);
products are public, so editing someone else's is 403.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.support.market import PASSWORD, Market, basic

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "buyer", "other_buyer", "seller", "staff")

Operation = Callable[[object, Market], object]

OPERATIONS: dict[str, Operation] = {
    # /api/products/
    "products.list": lambda c, m: c.get("/api/products/"),
    "products.retrieve": lambda c, m: c.get(f"/api/products/{m.available.pk}/"),
    "products.create": lambda c, m: c.post("/api/products/", {"name": "Lamp", "price": 10}, format="json"),
    "products.patch": lambda c, m: c.patch(f"/api/products/{m.available.pk}/", {"price": 10}, format="json"),
    "products.put": lambda c, m: c.put(f"/api/products/{m.available.pk}/", {"name": "x", "price": 1}, format="json"),
    "products.delete": lambda c, m: c.delete(f"/api/products/{m.available.pk}/"),
    # /api/reservations/
    "reservations.list": lambda c, m: c.get("/api/reservations/"),
    "reservations.retrieve": lambda c, m: c.get(f"/api/reservations/{m.reservation.pk}/"),
    "reservations.create": lambda c, m: c.post("/api/reservations/", {"product_id": m.available.pk}, format="json"),
    "reservations.cancel": lambda c, m: c.post(f"/api/reservations/{m.reservation.pk}/cancel/"),
    "reservations.decline": lambda c, m: c.post(f"/api/reservations/{m.reservation.pk}/decline/"),
    # the wish list (찜)
    "products.wish": lambda c, m: c.post(f"/api/products/{m.available.pk}/wish/"),
    "products.unwish": lambda c, m: c.delete(f"/api/products/{m.available.pk}/wish/"),
    "wishes.list": lambda c, m: c.get("/api/wishes/"),
    # /api/payments/
    "payments.list": lambda c, m: c.get("/api/payments/"),
    "payments.retrieve": lambda c, m: c.get(f"/api/payments/{m.payment.pk}/"),
    "payments.pay": lambda c, m: c.post(f"/api/payments/{m.payment.pk}/pay/"),
    # the reference's routes
    "POST /product": lambda c, m: c.post("/product", {"productName": "Lamp", "productStatus": "01"}, format="json"),
    "GET /products": lambda c, m: c.get("/products"),
    "POST /reservation": lambda c, m: c.post(
        "/reservation", {"productId": m.available.pk, "reservationStatus": "01"}, format="json"
    ),
    "GET /reservations": lambda c, m: c.get("/reservations"),
    "PATCH /reservationupdate": lambda c, m: c.patch(
        "/reservationupdate", {"id": m.reservation.pk, "reservationStatus": "02"}, format="json"
    ),
    "PATCH /paid": lambda c, m: c.patch("/paid", {"id": m.payment.pk, "paymentStatus": "02"}, format="json"),
    "GET /payments": lambda c, m: c.get("/payments"),
}

# operation: expected status for (anonymous, buyer, other_buyer, seller, staff)
MATRIX: dict[str, tuple[int, int, int, int, int]] = {
    "products.list": (200, 200, 200, 200, 200),
    "products.retrieve": (200, 200, 200, 200, 200),
    "products.create": (401, 201, 201, 201, 201),
    "products.patch": (401, 403, 403, 200, 403),
    "products.put": (401, 403, 403, 200, 403),
    "products.delete": (401, 403, 403, 204, 403),
    "reservations.list": (401, 200, 200, 200, 200),
    "reservations.retrieve": (401, 200, 404, 200, 200),
    "reservations.create": (401, 201, 201, 409, 201),
    "reservations.cancel": (401, 200, 404, 403, 403),
    "reservations.decline": (401, 403, 404, 200, 403),
    "products.wish": (401, 201, 201, 409, 201),
    "products.unwish": (401, 204, 204, 204, 204),
    "wishes.list": (401, 200, 200, 200, 200),
    "payments.list": (401, 200, 200, 200, 200),
    "payments.retrieve": (401, 200, 404, 200, 200),
    "payments.pay": (401, 200, 404, 403, 403),
    "POST /product": (401, 201, 201, 201, 201),
    "GET /products": (200, 200, 200, 200, 200),
    "POST /reservation": (401, 201, 201, 409, 201),
    "GET /reservations": (401, 200, 200, 200, 200),
    "PATCH /reservationupdate": (401, 200, 404, 403, 403),
    "PATCH /paid": (401, 200, 404, 403, 403),
    "GET /payments": (401, 200, 200, 200, 200),
}

assert set(MATRIX) == set(OPERATIONS)


@pytest.mark.parametrize(
    ("operation", "actor", "expected"),
    [(op, actor, statuses[i]) for op, statuses in MATRIX.items() for i, actor in enumerate(ACTORS)],
)
def test_permission_matrix(client_for, market, actors, operation, actor, expected):
    response = OPERATIONS[operation](client_for(actors[actor]), market)

    assert response.status_code == expected, response.content
    if expected >= 400:
        body = response.json()
        assert body["code"] and body["message"]
    if expected == 401:
        assert response["WWW-Authenticate"]


# Who sees the buyer's reservation and its payment in the listings.
SEES = {"buyer": True, "other_buyer": False, "seller": True, "staff": True}


@pytest.mark.parametrize(("actor", "sees"), SEES.items())
def test_who_sees_the_reservation_and_payment_in_lists(client_for, market, actors, actor, sees):
    client = client_for(actors[actor])

    reservations = [r["id"] for r in client.get("/api/reservations/").json()["results"]]
    payments = [p["id"] for p in client.get("/api/payments/").json()["results"]]
    hal_reservations = [r["id"] for r in client.get("/reservations").json()["_embedded"]["reservations"]]
    hal_payments = [p["id"] for p in client.get("/payments").json()["_embedded"]["payments"]]

    assert (market.reservation.pk in reservations) is sees
    assert (market.payment.pk in payments) is sees
    assert (market.reservation.pk in hal_reservations) is sees
    assert (market.payment.pk in hal_payments) is sees


# --- the three ways to sign in all work on the API -------------------------------------------------------


def test_token_session_and_basic_authentication(client, make_user, market):
    user = make_user("signin", password=PASSWORD)
    payload = {"name": "Lamp", "price": 10}

    token = client.post("/api/auth/token/", {"username": "signin", "password": PASSWORD}).json()["token"]
    by_token = client.post(
        "/api/products/", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert by_token.status_code == 201 and by_token.json()["seller_id"] == user.pk

    by_basic = client.post("/api/products/", payload, content_type="application/json", **basic(user))
    assert by_basic.status_code == 201

    session = APIClient(enforce_csrf_checks=True)
    assert session.login(username="signin", password=PASSWORD)
    assert session.get("/api/reservations/").status_code == 200
    without_csrf = session.post("/api/products/", payload, format="json")
    assert without_csrf.status_code == 403 and without_csrf.json()["code"]  # CSRF guards session writes
    session.get("/api-auth/login/")  # sets the CSRF cookie
    csrf = session.cookies["csrftoken"].value
    with_csrf = session.post("/api/products/", payload, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert with_csrf.status_code == 201


def test_a_bad_token_is_401(client):
    response = client.get("/api/reservations/", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
