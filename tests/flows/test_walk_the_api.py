"""The API walked from ``/api/`` by its links alone, as a person clicking through the browsable API
would: no URL is built by hand after the root (request bodies carry ids, as clients send them)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ROOT_KEYS = {
    "products",
    "reservations",
    "payments",
    "mypage",
    "mypage_sales",
    "notifications",
    "auth_register",
    "auth_token",
    "auth_me",
    "schema",
    "docs",
    "redoc",
}


class Walker:
    """A client that only follows absolute URLs it was given."""

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.visited: list[str] = []

    def get(self, url: str) -> dict:
        assert url.startswith("http://testserver/"), url  # absolute, as links should be
        self.visited.append(url)
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return response.json()

    def post(self, url: str, data: dict | None = None, status: int = 200) -> dict:
        assert url.startswith("http://testserver/"), url
        response = self.client.post(url, data or {}, format="json")
        assert response.status_code == status, (url, response.status_code, response.content[:300])
        return response.json()


def signed_in(user) -> Walker:
    client = APIClient()
    assert client.login(username=user.username, password="s3cret-pass")  # the make_user default
    return Walker(client)


def only(rows: list[dict], **match) -> dict:
    found = [row for row in rows if all(row.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_the_root_lists_every_resource_by_absolute_url(anon):
    root = anon.get("/api/").json()
    assert set(root) == ROOT_KEYS
    for url in root.values():
        assert url.startswith("http://testserver/"), url
        assert anon.get(url).status_code in (200, 401, 405), url  # each answers (sign-in may be needed)


def test_a_buyer_reaches_reservation_payment_mypage_cancel_and_pay_by_links(seller, buyer, make_product, drain):
    make_product(seller, name="Noodle", price=3000)
    make_product(seller, name="Desk", price=50000)
    walker = signed_in(buyer)
    root = walker.get("http://testserver/api/")

    catalogue = walker.get(root["products"])["results"]
    noodle, desk = only(catalogue, name="Noodle"), only(catalogue, name="Desk")
    assert noodle["reservations"] is None  # the reservations of a product are its seller's business
    assert walker.get(noodle["url"])["id"] == noodle["id"]

    # Reserving is a POST to the collection the root names.
    reserved = walker.post(root["reservations"], {"product_id": noodle["id"]}, status=201)
    walker.post(root["reservations"], {"product_id": desk["id"]}, status=201)
    drain()  # the payment is created after the reservation commits

    reservation = walker.get(reserved["url"])
    assert walker.get(reservation["product"])["name"] == "Noodle"
    assert reservation["cancel"] is not None  # the buyer may cancel while it is reserved
    payment = walker.get(reservation["payment"])
    assert payment["status"] == "unpaid" and payment["reservation"] == reservation["url"]
    assert payment["pay"] is not None

    row = walker.get(reservation["mypage"])
    assert row["reservation"] == reservation["url"] and row["payment"] == payment["url"]
    assert walker.get(row["product"])["name"] == "Noodle"

    # The pay action, found as a link, opens a page (GET) and pays (POST).
    assert walker.get(payment["pay"])["status"] == "unpaid"
    paid = walker.post(payment["pay"])
    assert paid["status"] == "paid" and paid["pay"] is None
    drain()
    assert walker.get(reservation["url"])["cancel"] is None  # paid: nothing left to cancel

    # The other reservation, found from the root's list, is cancelled through its link.
    mine = walker.get(root["reservations"])["results"]
    desk_reservation = only(mine, product_name="Desk")
    cancelled = walker.post(desk_reservation["cancel"])
    assert cancelled["status"] == "cancelled" and cancelled["cancel"] is None
    drain()

    my_page = walker.get(root["mypage"])["results"]
    assert {r["product_name"]: r["reservation_status"] for r in my_page} == {
        "Noodle": "completed",
        "Desk": "cancelled",
    }
    notifications = walker.get(root["notifications"])["results"]
    assert notifications and all(n["url"] and n["mark_read"] for n in notifications)
    assert walker.post(notifications[0]["mark_read"])["read"] is True
    unread = walker.get(root["notifications"] + "?read=false")["results"]
    assert notifications[0]["id"] not in {n["id"] for n in unread}


def test_a_seller_reaches_the_reservations_and_payments_of_their_products_by_links(
    seller, buyer, make_product, reserve
):
    lamp = make_product(seller, name="Lamp", price=7000)
    reserve(buyer, lamp)
    walker = signed_in(seller)
    root = walker.get("http://testserver/api/")

    mine = walker.get(root["products"] + f"?seller={seller.username}")["results"]
    lamp_row = only(mine, name="Lamp")
    reservations = walker.get(lamp_row["reservations"])["results"]  # the seller's link
    reservation = only(reservations, product_name="Lamp")
    assert reservation["buyer"] == buyer.username
    assert reservation["cancel"] is None  # only the buyer cancels

    payment = walker.get(reservation["payment"])
    assert payment["status"] == "unpaid" and payment["pay"] is None  # only the buyer pays
    assert walker.get(payment["reservation"])["id"] == reservation["id"]

    sales = walker.get(root["mypage_sales"])["results"]
    row = only(sales, product_name="Lamp")
    assert row["buyer_name"] == buyer.username and row["payment_status"] == "unpaid"
    assert walker.get(row["url"])["timeline"]
    assert walker.get(walker.get(root["payments"])["results"][0]["url"])["id"] == payment["id"]


def test_links_withheld_from_others_and_ids_kept(seller, buyer, other_buyer, make_product, reserve, client_for):
    lamp = make_product(seller, name="Lamp", price=7000)
    reservation, payment = reserve(buyer, lamp)
    body = client_for(buyer).get(f"/api/reservations/{reservation.pk}/").json()
    assert body["id"] == reservation.pk and body["product_id"] == lamp.pk  # ids stay for clients
    # Another user is told nothing exists there, links or not.
    assert client_for(other_buyer).get(f"/api/reservations/{reservation.pk}/payment/").status_code == 404
    assert client_for(other_buyer).get(f"/api/payments/{payment.pk}/pay/").status_code == 404
