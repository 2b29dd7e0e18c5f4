"""The reference's routes (Spring Data REST shape): POST /product, GET /products, POST /reservation,
GET /reservations, PATCH /reservationupdate, PATCH /paid, GET /payments. Same paths, bodies, field
names and codes; none of the reference's bugs (trusting body ids, freeing sold-out products,
creating records on updates of unknown ids)."""

from __future__ import annotations

import pytest

from payment.models import Payment
from product.models import Product
from reservation.models import Reservation
from tests.support.market import PASSWORD, assert_error, basic

pytestmark = pytest.mark.django_db


def embedded(response, name: str) -> list[dict]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"_embedded", "_links", "page"}
    assert body["_links"]["self"]["href"].startswith("http://testserver/")
    return body["_embedded"][name]


# --- products -----------------------------------------------------------------------------------------


def test_post_product_as_the_reference_did(client_for, seller):
    response = client_for(seller).post("/product", {"productName": "Noodle", "productStatus": "01"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["productName"] == "Noodle" and body["productStatus"] == "01"
    assert body["price"] == 0 and body["sellerId"] == seller.pk and isinstance(body["id"], int)
    assert Product.objects.get(pk=body["id"]).seller == seller


def test_post_product_with_basic_auth_and_string_values(client, make_user):
    """``http -a seller:secret :8000/product productName=Desk productStatus=01`` sends strings."""
    user = make_user("basicseller", password=PASSWORD)
    response = client.post(
        "/product",
        {"productName": "Desk", "productStatus": "01", "price": "1500"},
        content_type="application/json",
        **basic(user),
    )
    assert response.status_code == 201
    assert response.json()["price"] == 1500


@pytest.mark.parametrize(
    "payload",
    [
        {"productStatus": "01"},
        {"productName": "Desk", "productStatus": "02"},
        {"productName": "Desk", "productStatus": "soldOut"},
        {"productName": "Desk", "productStatus": 1},
        {"productName": "", "productStatus": "01"},
        {"productName": "Desk", "price": -1},
        {"productName": "Desk", "price": "free"},
    ],
)
def test_post_product_rejects_bad_bodies(client_for, seller, payload):
    assert_error(client_for(seller).post("/product", payload, format="json"), 400, "invalid")
    assert not Product.objects.exists()


def test_get_products_in_hal_shape(anon, seller, make_product, reserve, buyer):
    noodle = make_product(seller, name="Noodle", price=0)
    desk = make_product(seller, name="Desk", price=0)
    reserve(buyer, desk)

    products = embedded(anon.get("/products"), "products")

    assert [(p["id"], p["productName"], p["productStatus"]) for p in products] == [
        (noodle.pk, "Noodle", "01"),
        (desk.pk, "Desk", "02"),
    ]


def test_products_are_paged_like_spring(anon, seller, make_product):
    for i in range(5):
        make_product(seller, name=f"item{i}")

    body = anon.get("/products?page=1&size=2").json()

    assert [p["productName"] for p in body["_embedded"]["products"]] == ["item2", "item3"]
    assert body["page"] == {"size": 2, "totalElements": 5, "totalPages": 3, "number": 1}
    assert "page=2" in body["_links"]["next"]["href"] and "page=0" in body["_links"]["prev"]["href"]
    assert_error(anon.get("/products?size=0"), 400, "invalid")
    assert_error(anon.get("/products?page=-1"), 400, "invalid")
    assert_error(anon.get("/products?size=abc"), 400, "invalid")


# --- reservations -------------------------------------------------------------------------------------


def test_post_reservation_as_the_reference_did(client_for, buyer, seller, make_product):
    product = make_product(seller, name="Noodle")

    response = client_for(buyer).post(
        "/reservation", {"productId": str(product.pk), "reservationStatus": "01"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["productId"] == product.pk and body["reservationStatus"] == "01"
    assert body["productName"] == "Noodle" and body["buyerId"] == buyer.pk and body["sellerId"] == seller.pk


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"reservationStatus": "01"}, 400, "invalid"),
        ({"productId": "x", "reservationStatus": "01"}, 400, "invalid"),
        ({"productId": 1, "reservationStatus": "02"}, 400, "invalid"),
        ({"productId": 999999, "reservationStatus": "01"}, 404, "product_not_found"),
    ],
)
def test_post_reservation_errors(client_for, buyer, payload, status, code):
    assert_error(client_for(buyer).post("/reservation", payload, format="json"), status, code)


def test_post_reservation_of_a_held_product_is_409(client_for, market, other_buyer):
    response = client_for(other_buyer).post("/reservation", {"productId": market.held.pk}, format="json")
    assert_error(response, 409, "product_unavailable")


def test_get_reservations_lists_only_the_callers(client_for, market, buyer, other_buyer, seller):
    mine = embedded(client_for(buyer).get("/reservations"), "reservations")
    assert [(r["id"], r["productId"], r["reservationStatus"]) for r in mine] == [
        (market.reservation.pk, market.held.pk, "01")
    ]
    assert embedded(client_for(seller).get("/reservations"), "reservations")[0]["id"] == market.reservation.pk
    assert embedded(client_for(other_buyer).get("/reservations"), "reservations") == []


def test_reservationupdate_cancels_the_stored_reservation_ignoring_the_body_product(client_for, market, buyer):
    """The reference trusted productId from the body; we act on the stored reservation."""
    response = client_for(buyer).patch(
        "/reservationupdate",
        {"id": market.reservation.pk, "productId": market.available.pk, "reservationStatus": "02"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["reservationStatus"] == "02" and body["productId"] == market.held.pk
    market.held.refresh_from_db()
    market.available.refresh_from_db()
    market.payment.refresh_from_db()
    assert market.held.status == Product.Status.AVAILABLE
    assert market.available.status == Product.Status.AVAILABLE
    assert market.payment.status == Payment.Status.VOIDED


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"id": 999999, "reservationStatus": "02"}, 404, "reservation_not_found"),
        ({"reservationStatus": "02"}, 400, "invalid"),
        ({"id": "abc", "reservationStatus": "02"}, 400, "invalid"),
        ({"id": 1}, 400, "invalid"),
        ({"id": 1, "reservationStatus": "01"}, 400, "invalid"),
        ({"id": 1, "reservationStatus": "03"}, 400, "invalid"),
    ],
)
def test_reservationupdate_errors(client_for, buyer, payload, status, code):
    assert_error(client_for(buyer).patch("/reservationupdate", payload, format="json"), status, code)
    assert not Reservation.objects.exists()  # the reference created a record here


def test_reservationupdate_of_a_paid_reservation_is_409_and_the_product_stays_sold(client_for, market, buyer, drain):
    client_for(buyer).patch("/paid", {"id": market.payment.pk, "paymentStatus": "02"}, format="json")
    drain()
    response = client_for(buyer).patch(
        "/reservationupdate", {"id": market.reservation.pk, "reservationStatus": "02"}, format="json"
    )
    assert_error(response, 409, "already_paid")
    market.held.refresh_from_db()
    assert market.held.status == Product.Status.SOLD_OUT


# --- payments -----------------------------------------------------------------------------------------


def test_get_payments_lists_only_the_callers(client_for, market, buyer, other_buyer):
    payments = embedded(client_for(buyer).get("/payments"), "payments")
    assert [(p["id"], p["reservationId"], p["productId"], p["paymentStatus"]) for p in payments] == [
        (market.payment.pk, market.reservation.pk, market.held.pk, "01")
    ]
    assert payments[0]["amount"] == 50000
    assert embedded(client_for(other_buyer).get("/payments"), "payments") == []


def test_paid_pays_the_stored_payment_ignoring_the_body_product(client_for, market, buyer, drain):
    response = client_for(buyer).patch(
        "/paid",
        {
            "id": market.payment.pk,
            "reservationId": market.reservation.pk,
            "productId": market.available.pk,
            "paymentStatus": "02",
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["paymentStatus"] == "02" and response.json()["productId"] == market.held.pk
    drain()
    market.held.refresh_from_db()
    market.available.refresh_from_db()
    assert market.held.status == Product.Status.SOLD_OUT
    assert market.available.status == Product.Status.AVAILABLE


def test_paid_by_reservation_id_alone(client_for, market, buyer):
    response = client_for(buyer).patch(
        "/paid", {"reservationId": market.reservation.pk, "paymentStatus": "02"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["id"] == market.payment.pk


def test_paid_with_another_reservation_id_is_409(client_for, market, buyer):
    response = client_for(buyer).patch(
        "/paid",
        {"id": market.payment.pk, "reservationId": market.reservation.pk + 1, "paymentStatus": "02"},
        format="json",
    )
    assert_error(response, 409, "reservation_mismatch")
    market.payment.refresh_from_db()
    assert market.payment.status == Payment.Status.UNPAID


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"id": 999999, "paymentStatus": "02"}, 404, "payment_not_found"),
        ({"reservationId": 999999, "paymentStatus": "02"}, 404, "payment_not_found"),
        ({"paymentStatus": "02"}, 400, "invalid"),
        ({"id": 1}, 400, "invalid"),
        ({"id": 1, "paymentStatus": "01"}, 400, "invalid"),
        ({"id": 1, "paymentStatus": "paid"}, 400, "invalid"),
        ({"id": [1], "paymentStatus": "02"}, 400, "invalid"),
    ],
)
def test_paid_errors(client_for, buyer, payload, status, code):
    assert_error(client_for(buyer).patch("/paid", payload, format="json"), status, code)
    assert not Payment.objects.exists()  # the reference created a record here


def test_paid_on_a_cancelled_reservation_is_409(client_for, market, buyer):
    client_for(buyer).patch("/reservationupdate", {"id": market.reservation.pk, "reservationStatus": "02"})
    response = client_for(buyer).patch("/paid", {"id": market.payment.pk, "paymentStatus": "02"}, format="json")
    assert_error(response, 409, "payment_voided")
    assert embedded(client_for(buyer).get("/payments"), "payments")[0]["paymentStatus"] == "03"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/product"),
        ("post", "/reservation"),
        ("patch", "/reservationupdate"),
        ("patch", "/paid"),
        ("get", "/reservations"),
        ("get", "/payments"),
    ],
)
def test_reference_routes_need_sign_in(anon, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"]


def test_wrong_password_is_401(client, make_user):
    user = make_user("someone", password=PASSWORD)
    response = client.get("/reservations", **basic(user, "wrong-password"))
    assert_error(response, 401, "authentication_failed")


@pytest.mark.parametrize("path", ["/product", "/reservation", "/reservationupdate", "/paid"])
def test_malformed_json_on_reference_routes_is_400(client_for, buyer, path):
    method = "POST" if path in ("/product", "/reservation") else "PATCH"
    response = client_for(buyer).generic(method, path, b'{"id": 1,', content_type="application/json")
    assert_error(response, 400, "parse_error")


# --- the reference walkthrough, end to end ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_reference_walkthrough(client, make_user):
    """The reference README's walkthrough through the compatibility routes with Basic auth, real
    inline dispatch (no drain): register, reserve, pay (with a misleading productId), cancel (with
    another misleading productId), checking every listing at each step."""
    seller = make_user("walkseller", password=PASSWORD)
    buyer = make_user("walkbuyer", password=PASSWORD)
    as_seller, as_buyer = basic(seller), basic(buyer)

    def call(method: str, path: str, auth: dict, **data):
        response = getattr(client, method)(path, data, content_type="application/json", **auth)
        assert response.status_code in (200, 201), (path, response.content)
        return response.json()

    def codes(path: str, name: str, field: str, auth: dict = as_buyer) -> dict[int, str]:
        response = client.get(path, **auth)
        assert response.status_code == 200, response.content
        return {item["id"]: item[field] for item in response.json()["_embedded"][name]}

    # 1. The seller registers three products: 01 available.
    noodle = call("post", "/product", as_seller, productName="Noodle", productStatus="01")["id"]
    desk = call("post", "/product", as_seller, productName="Desk", productStatus="01")["id"]
    coffee = call("post", "/product", as_seller, productName="Coffee", productStatus="01")["id"]
    assert codes("/products", "products", "productStatus") == {noodle: "01", desk: "01", coffee: "01"}
    assert codes("/reservations", "reservations", "reservationStatus") == {}

    # 2. The buyer reserves the first two: 01 reserved.
    first = call("post", "/reservation", as_buyer, productId=str(noodle), reservationStatus="01")
    second = call("post", "/reservation", as_buyer, productId=str(desk), reservationStatus="01")
    assert (first["productId"], second["productId"]) == (noodle, desk)
    assert codes("/reservations", "reservations", "reservationStatus") == {first["id"]: "01", second["id"]: "01"}

    # 3. The products are pending: 02.
    assert codes("/products", "products", "productStatus") == {noodle: "02", desk: "02", coffee: "01"}

    # 4. A payment was requested for each reservation: 01 unpaid.
    payments = client.get("/payments", **as_buyer).json()["_embedded"]["payments"]
    by_reservation = {p["reservationId"]: p for p in payments}
    assert set(by_reservation) == {first["id"], second["id"]}
    assert {p["paymentStatus"] for p in payments} == {"01"}
    assert codes("/payments", "payments", "paymentStatus", as_seller) == {p["id"]: "01" for p in payments}

    # 5. The buyer pays for the first reservation; the body names the wrong product (as the
    #    reference's walkthrough does: productId=2). We pay for what the payment is for.
    first_payment = by_reservation[first["id"]]["id"]
    paid = call(
        "patch", "/paid", as_buyer, id=first_payment, reservationId=first["id"], productId=desk, paymentStatus="02"
    )
    assert paid["paymentStatus"] == "02" and paid["productId"] == noodle
    assert codes("/payments", "payments", "paymentStatus")[first_payment] == "02"

    # 6. The paid product is sold out; the other is still pending.
    assert codes("/products", "products", "productStatus") == {noodle: "soldOut", desk: "02", coffee: "01"}
    assert codes("/reservations", "reservations", "reservationStatus") == {first["id"]: "03", second["id"]: "01"}

    # 7. The buyer cancels the second reservation; the body names the sold product (productId=1).
    cancelled = call("patch", "/reservationupdate", as_buyer, id=second["id"], productId=noodle, reservationStatus="02")
    assert cancelled["reservationStatus"] == "02" and cancelled["productId"] == desk
    assert codes("/reservations", "reservations", "reservationStatus") == {first["id"]: "03", second["id"]: "02"}

    # 8. The cancelled product is available again; the sold one stays sold out.
    assert codes("/products", "products", "productStatus") == {noodle: "soldOut", desk: "01", coffee: "01"}
    second_payment = by_reservation[second["id"]]["id"]
    assert codes("/payments", "payments", "paymentStatus") == {first_payment: "02", second_payment: "03"}

    # Updates of unknown ids create nothing (the reference upserted them).
    response = client.patch(
        "/reservationupdate", {"id": 999999, "reservationStatus": "02"}, content_type="application/json", **as_buyer
    )
    assert response.status_code == 404
    assert Reservation.objects.count() == 2 and Payment.objects.count() == 2
